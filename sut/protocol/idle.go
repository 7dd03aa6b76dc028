package protocol

import (
	"net"
	"sync/atomic"
	"time"
)

// IdleConn refreshes the read deadline before every read once a timeout is
// set, so the deadline measures silence rather than message duration: a
// slow link that keeps delivering a large frame (a module chunk crawling
// over a serial line) stays up, while a dead one is noticed one timeout
// after its last byte. With no timeout set, deadlines are the caller's, as
// on a plain connection — which is what a handshake wants: a fixed bound
// that trickled bytes cannot extend.
type IdleConn struct {
	net.Conn
	timeout atomic.Int64
}

// NewIdleConn wraps c with no idle timeout yet.
func NewIdleConn(c net.Conn) *IdleConn { return &IdleConn{Conn: c} }

// SetIdleTimeout makes reads fail after d without any bytes; 0 turns it off.
func (c *IdleConn) SetIdleTimeout(d time.Duration) { c.timeout.Store(int64(d)) }

func (c *IdleConn) Read(p []byte) (int, error) {
	if d := time.Duration(c.timeout.Load()); d > 0 {
		if err := c.Conn.SetReadDeadline(time.Now().Add(d)); err != nil {
			return 0, err
		}
	}
	return c.Conn.Read(p)
}
