package attack

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/wasmbed/wasmbed/sut/protocol"
	"github.com/wasmbed/wasmbed/sut/refusal"
)

// Reply is how the gateway answered one attacking connection.
type Reply struct {
	// HandshakeErr is set when the client's half of the TLS handshake
	// failed (a TLS 1.2-only offer, for instance).
	HandshakeErr error
	// Message is the first message the gateway sent, if any.
	Message protocol.Message
	// ReadErr ended the read when no message came: a TLS alert, EOF, a
	// reset, or a timeout.
	ReadErr error
}

// Refused reports whether the gateway refused: it failed the handshake,
// sent a TLS alert, closed the connection, or answered with an Error or a
// refused EnrollResponse. A read that timed out is not a refusal: the
// gateway kept the connection open.
func (r Reply) Refused() bool {
	switch {
	case r.HandshakeErr != nil:
		return true
	case r.Message != nil:
		switch m := r.Message.(type) {
		case *protocol.Error:
			return true
		case *protocol.EnrollResponse:
			return !m.Accepted
		}
		return false
	}
	var ne net.Error
	return r.ReadErr != nil && !(errors.As(r.ReadErr, &ne) && ne.Timeout())
}

// Code is the reason code the gateway told the client, if it told one.
func (r Reply) Code() refusal.Reason {
	switch m := r.Message.(type) {
	case *protocol.Error:
		return m.Code
	case *protocol.EnrollResponse:
		return m.Reason
	}
	return ""
}

// String describes the reply for reports.
func (r Reply) String() string {
	switch {
	case r.HandshakeErr != nil:
		return "handshake failed: " + r.HandshakeErr.Error()
	case r.Message != nil:
		if c := r.Code(); c != "" {
			return fmt.Sprintf("%s with reason %s", r.Message.Type(), c)
		}
		return r.Message.Type().String()
	case r.ReadErr != nil:
		return "connection ended: " + r.ReadErr.Error()
	}
	return "nothing"
}

// Exchange opens a TLS connection with o, writes send (raw bytes: frames,
// or anything else) once the client's half of the handshake is done, and
// reads the gateway's first answer. In TLS 1.3 the gateway judges the
// client certificate after the client's handshake returns, so a refused
// certificate shows up here as a TLS alert on the read.
func Exchange(ctx context.Context, addr string, o TLSOptions, send []byte) Reply {
	conn, err := DialTLS(ctx, addr, o)
	if err != nil {
		return Reply{HandshakeErr: err}
	}
	defer conn.Close()
	if len(send) > 0 {
		_ = conn.SetWriteDeadline(time.Now().Add(5 * time.Second))
		if _, err := conn.Write(send); err != nil {
			return Reply{ReadErr: err}
		}
	}
	return ReadReply(conn, readTimeout(o))
}

// ReadReply reads one message from conn within timeout.
func ReadReply(conn net.Conn, timeout time.Duration) Reply {
	_ = conn.SetReadDeadline(time.Now().Add(timeout))
	_, m, err := protocol.NewConn(conn, 0).Recv()
	if err != nil {
		return Reply{ReadErr: err}
	}
	return Reply{Message: m}
}

// readTimeout is how long to wait for the gateway's answer: longer than any
// wait the gateway imposes on a connection it has not refused yet.
func readTimeout(o TLSOptions) time.Duration {
	if o.Timeout > 0 {
		return 2 * o.Timeout
	}
	return 10 * time.Second
}

// EncodeFrame renders m as one frame, for attacks that write frames raw.
func EncodeFrame(m protocol.Message) []byte {
	b, err := protocol.EncodeFrame(1, m)
	if err != nil {
		panic(fmt.Sprintf("attack: encode %T: %v", m, err))
	}
	return b
}
