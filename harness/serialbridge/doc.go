// Package serialbridge is the host end of a QEMU guest's serial link: it
// joins each session the device opens over its data UART to a fresh TCP
// connection to the gateway.
//
// # Why a framed link
//
// QEMU guests have no network card: like a field device, their only way out
// is a UART, exposed by QEMU as a UNIX socket
// (-chardev socket,id=data,path=...,server=on,wait=off). The firmware needs
// several successive TCP sessions (enrolment, then mutual TLS, then
// reconnects after failures), and a raw byte stream cannot mark where one
// ends and the next begins. So the device and the bridge speak a small
// link-layer protocol over the byte stream. TLS runs end to end through it:
// the bridge only ever forwards ciphertext, byte for byte.
//
// # Frame format
//
// All integers are big-endian (the code is in firmware/seriallink, shared by
// both ends):
//
//	offset  size  field
//	0       1     SOF 0xA5
//	1       1     direction: 'D' (0x44) device→host, 'H' (0x48) host→device
//	2       1     type
//	3       2     session id (0 for link frames)
//	5       2     payload length n (0..1024)
//	7       1     header check: CRC-8, polynomial 0x07, over bytes 1..6
//	8       n     payload
//	8+n     4     CRC-32 (IEEE) over bytes 1..8+n-1
//
// Types:
//
//	0x01 READY   D→H  version byte, uint32 reset nonce, device name. The
//	                  device's link has started (nonce 0), or answers the
//	                  RESET with that nonce. Unless the nonce is the one of
//	                  the bridge's last RESET, the device restarted: the
//	                  bridge closes every session it has for this line.
//	0x02 RESET   H→D  version byte, uint32 nonce (random, non-zero). The
//	                  bridge (re)connected to the line, or a cut was
//	                  restored, and holds no session. The device ends its
//	                  open sessions (ErrLinkReset), answers READY with the
//	                  nonce, then repeats the OPEN of any dial still waiting.
//	0x03 OPEN    D→H  open session s: the bridge dials the gateway.
//	                  Repeated every second until answered; a repeat for a
//	                  known session is ignored (or answered OPENED again).
//	0x04 OPENED  H→D  the TCP connection for s is up.
//	0x05 DATA    both session bytes, 1..1024 per frame.
//	0x06 CREDIT  both uint32: the receiver consumed that many more bytes of s.
//	0x07 CLOSE   both the sender is done with s; an empty payload is an
//	                  orderly end (EOF), text is an error (e.g. the gateway
//	                  refused the connection, as the answer to OPEN).
//	                  DATA for an unknown session is answered with CLOSE.
//	0x08 PING    both liveness probe; the device sends one after 2 s of
//	                  silence while a session is open.
//	0x09 PONG    both echo of a PING's payload.
//
// Flow control: each side of each session may have at most 16 KiB of DATA
// payload not yet returned by CREDIT frames, so neither end ever buffers
// more than that per session and the UART never overruns.
//
// # Robustness
//
//   - Echo: a UART echoes what arrives before the guest sets raw mode.
//     Each end accepts only frames of the other direction, so echoes are
//     skipped like any garbage.
//   - Garbage and lost bytes: the decoder searches for SOF, checks the
//     header CRC-8 before trusting the length, then the CRC-32; on any
//     failure it drops one byte and searches again, so the next real frame
//     is found (resync).
//   - Corruption: a frame whose header checks out but whose CRC-32 does
//     not belongs to a known session whose byte stream now has a hole.
//     That session is closed on both ends (CLOSE "corrupted frame"; the
//     device's application gets an error wrapping seriallink.ErrCorrupt,
//     never silently missing bytes) and the link goes on.
//   - Lost frames: bytes written while the guest has not opened its port,
//     or while no bridge is connected, are lost. Both ends converge anyway:
//     the bridge sends RESET when it connects, the device sends READY when
//     it opens the port and whenever it gets RESET, and OPEN is repeated.
//   - Stalls: every write to the line has a deadline; a line that accepts
//     nothing for WriteTimeout is dropped and reconnected.
//   - Bridge restarts: the bridge reconnects to the socket after any line
//     error, power cycle of the guest, or a panic of its serving loop, and
//     announces itself with RESET; the device loses only the sessions that
//     were open, never the link.
//   - Cut: Cut makes the line silent in both directions (frames are
//     dropped, as on a severed cable); the device's keep-alive ends its
//     sessions after its timeout. Restore closes the TCP connections of the
//     cut sessions and sends RESET, and the device reconnects.
package serialbridge
