package seriallink

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"time"
)

type connState int

const (
	statePending connState = iota
	stateOpen
	stateClosed
)

// conn is one session, a net.Conn. Its state is guarded by the link's mu.
type conn struct {
	l  *Link
	id uint16

	state       connState
	opened      bool // the host answered OPENED (the session may have ended since)
	openSent    time.Time
	rbuf        []byte
	rerr        error // returned by Read once rbuf is drained
	werr        error // returned by Write
	sendCredit  int
	unacked     int // bytes read by the application, not yet credited
	localClosed bool
	wake        chan struct{}
	rdl, wdl    time.Time

	wmu sync.Mutex // keeps one Write's frames together
}

func newConn(l *Link, id uint16) *conn {
	return &conn{l: l, id: id, wake: make(chan struct{})}
}

// broadcast wakes every waiter; l.mu is held.
func (c *conn) broadcast() {
	close(c.wake)
	c.wake = make(chan struct{})
}

// wait releases l.mu until a broadcast, the deadline, or done; l.mu is held
// on entry and on return.
func (c *conn) wait(deadline time.Time, done <-chan struct{}) {
	ch := c.wake
	c.l.mu.Unlock()
	defer c.l.mu.Lock()
	var timer <-chan time.Time
	if !deadline.IsZero() {
		t := time.NewTimer(time.Until(deadline))
		defer t.Stop()
		timer = t.C
	}
	select {
	case <-ch:
	case <-timer:
	case <-done:
	case <-c.l.done:
	}
}

// fail ends the session with err (the link's fault); l.mu is held.
func (c *conn) fail(err error) {
	if c.state == stateClosed {
		return
	}
	if c.rerr == nil {
		c.rerr = err
	}
	if c.werr == nil {
		c.werr = err
	}
	c.state = stateClosed
	c.broadcast()
}

// remoteClose ends the session because the host closed it; l.mu is held.
func (c *conn) remoteClose(reason string) {
	if c.state == stateClosed {
		return
	}
	if reason == "" {
		c.rerr = io.EOF
	} else {
		c.rerr = fmt.Errorf("seriallink: host closed session %d: %s", c.id, reason)
	}
	c.werr = fmt.Errorf("seriallink: session %d closed by the host", c.id)
	if reason != "" {
		c.werr = c.rerr
	}
	c.state = stateClosed
	c.broadcast()
}

func expired(deadline time.Time) bool {
	return !deadline.IsZero() && !time.Now().Before(deadline)
}

// Read implements net.Conn.
func (c *conn) Read(p []byte) (int, error) {
	l := c.l
	l.mu.Lock()
	for {
		switch {
		case c.localClosed:
			l.mu.Unlock()
			return 0, net.ErrClosed
		case len(c.rbuf) > 0:
			n := copy(p, c.rbuf)
			c.rbuf = c.rbuf[n:]
			if len(c.rbuf) == 0 {
				c.rbuf = nil
			}
			c.unacked += n
			credit := 0
			if c.unacked >= Window/4 && c.state == stateOpen {
				credit, c.unacked = c.unacked, 0
			}
			l.mu.Unlock()
			if credit > 0 {
				_ = l.send(Frame{Type: Credit, Session: c.id, Payload: CreditPayload(uint32(credit))})
			}
			return n, nil
		case c.rerr != nil:
			err := c.rerr
			l.mu.Unlock()
			return 0, err
		case expired(c.rdl):
			l.mu.Unlock()
			return 0, os.ErrDeadlineExceeded
		}
		c.wait(c.rdl, nil)
	}
}

// Write implements net.Conn. It splits p into DATA frames and waits for
// flow-control credit as needed.
func (c *conn) Write(p []byte) (int, error) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	l := c.l
	total := 0
	for len(p) > 0 {
		l.mu.Lock()
		for {
			if c.localClosed {
				l.mu.Unlock()
				return total, net.ErrClosed
			}
			if c.werr != nil {
				err := c.werr
				l.mu.Unlock()
				return total, err
			}
			if expired(c.wdl) {
				l.mu.Unlock()
				return total, os.ErrDeadlineExceeded
			}
			if c.sendCredit > 0 {
				break
			}
			c.wait(c.wdl, nil)
		}
		n := min(len(p), MaxPayload, c.sendCredit)
		c.sendCredit -= n
		l.mu.Unlock()
		if err := l.send(Frame{Type: Data, Session: c.id, Payload: p[:n]}); err != nil {
			// A partial frame may be on the line; the session cannot go on.
			l.mu.Lock()
			c.fail(err)
			if l.sessions[c.id] == c {
				delete(l.sessions, c.id)
			}
			l.mu.Unlock()
			_ = l.send(Frame{Type: Close, Session: c.id, Payload: []byte("device write failed")})
			return total, err
		}
		l.bytesSent.Add(int64(n))
		total += n
		p = p[n:]
	}
	return total, nil
}

// Close implements net.Conn: it tells the host to close the TCP connection.
func (c *conn) Close() error {
	l := c.l
	l.mu.Lock()
	if c.localClosed {
		l.mu.Unlock()
		return nil
	}
	c.localClosed = true
	tell := c.state != stateClosed
	c.state = stateClosed
	if l.sessions[c.id] == c {
		delete(l.sessions, c.id)
	}
	c.broadcast()
	linkDead := l.err != nil
	l.mu.Unlock()
	if tell && !linkDead {
		if err := l.send(Frame{Type: Close, Session: c.id}); err != nil && !errors.Is(err, net.ErrClosed) {
			return err
		}
	}
	return nil
}

// Addr is the address of either end of a session.
type Addr struct {
	Side    string // "device" or "host"
	Session uint16
}

// Network implements net.Addr.
func (a Addr) Network() string { return "seriallink" }

// String implements net.Addr.
func (a Addr) String() string { return fmt.Sprintf("%s/session-%d", a.Side, a.Session) }

// LocalAddr implements net.Conn.
func (c *conn) LocalAddr() net.Addr { return Addr{"device", c.id} }

// RemoteAddr implements net.Conn.
func (c *conn) RemoteAddr() net.Addr { return Addr{"host", c.id} }

// SetDeadline implements net.Conn.
func (c *conn) SetDeadline(t time.Time) error {
	c.l.mu.Lock()
	defer c.l.mu.Unlock()
	c.rdl, c.wdl = t, t
	c.broadcast()
	return nil
}

// SetReadDeadline implements net.Conn.
func (c *conn) SetReadDeadline(t time.Time) error {
	c.l.mu.Lock()
	defer c.l.mu.Unlock()
	c.rdl = t
	c.broadcast()
	return nil
}

// SetWriteDeadline implements net.Conn.
func (c *conn) SetWriteDeadline(t time.Time) error {
	c.l.mu.Lock()
	defer c.l.mu.Unlock()
	c.wdl = t
	c.broadcast()
	return nil
}
