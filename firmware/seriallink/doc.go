// Package seriallink is the device side of the serial link: it carries
// several successive TCP sessions to the gateway over one UART.
//
// A QEMU guest has no network card on purpose (an embedded device on a
// field bus has none either): its only way out is a serial line, which the
// harness's serialbridge joins to the gateway. A raw byte stream cannot say
// "this connection is over, open a new one", and the firmware needs exactly
// that: it enrols over one TLS session, then reconnects with mutual TLS,
// and reconnects again after every failure. So the link frames the byte
// stream (see Frame, and the description in harness/serialbridge): the
// device sends OPEN, the host dials a fresh TCP connection to the gateway,
// and DATA frames carry the session's bytes verbatim, ciphertext for TLS.
//
// The line is not trusted to be clean: a UART echoes what arrives before
// raw mode is set, bytes are lost while nobody listens, and a cable can be
// cut. Every frame carries a direction marker (echoes of our own frames are
// ignored), a header check and a CRC-32 (the decoder resynchronises on the
// next frame after garbage), sessions have credit-based flow control (so
// neither end ever has to drop bytes), and a keep-alive ends sessions when
// the host stops answering.
//
// Link.Dial returns a net.Conn with deadlines, so crypto/tls and the
// firmware's agent use it as they would a TCP connection.
package seriallink
