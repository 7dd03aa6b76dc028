package serialbridge

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"

	sl "github.com/wasmbed/wasmbed/firmware/seriallink"
)

// session is one device session joined to one TCP connection.
//
// Two goroutines move the bytes: the pump reads TCP and sends DATA while
// the device has credit; the writer writes queued DATA payloads to TCP and
// returns credit once they are written, so a slow gateway slows the device
// instead of filling memory.
type session struct {
	ln *line
	id uint16

	mu        sync.Mutex
	tcp       net.Conn
	cancel    context.CancelFunc
	open      bool
	closed    bool // shutdown: stop at once
	finishing bool // the device closed: flush q, then close TCP
	credit    int  // bytes we may still send to the device
	q         []byte
	wake      chan struct{}
}

func newSession(ln *line, id uint16) *session {
	return &session{ln: ln, id: id, wake: make(chan struct{})}
}

func (s *session) broadcast() {
	close(s.wake)
	s.wake = make(chan struct{})
}

// waitLocked releases s.mu until the next broadcast.
func (s *session) waitLocked() {
	ch := s.wake
	s.mu.Unlock()
	<-ch
	s.mu.Lock()
}

func (s *session) isOpen() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.open && !s.closed
}

// queue adds device bytes for the gateway.
func (s *session) queue(p []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.open || s.closed || s.finishing {
		return nil // late frame of a session being torn down
	}
	if len(s.q)+len(p) > sl.Window {
		return errors.New("device overran the flow-control window")
	}
	s.q = append(s.q, p...)
	s.broadcast()
	return nil
}

func (s *session) addCredit(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.credit += n
	s.broadcast()
}

// finish is the device's CLOSE: deliver what is queued, then close TCP.
func (s *session) finish() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.finishing = true
	if !s.open && s.cancel != nil {
		s.cancel() // still dialling: give up
	}
	s.broadcast()
}

// shutdown closes the TCP connection at once.
func (s *session) shutdown(why string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	s.closed = true
	if s.cancel != nil {
		s.cancel()
	}
	if s.tcp != nil {
		s.tcp.Close()
	}
	s.broadcast()
}

func (s *session) run() {
	ln, b := s.ln, s.ln.b
	defer ln.wg.Done()
	defer ln.guard()

	ctx, cancel := context.WithTimeout(b.ctx, b.cfg.DialTimeout)
	s.mu.Lock()
	s.cancel = cancel
	s.mu.Unlock()
	conn, err := b.cfg.DialTarget(ctx)
	cancel()
	if err != nil {
		b.failed.Add(1)
		if ln.remove(s) {
			_ = ln.send(sl.Frame{Type: sl.Close, Session: s.id, Payload: []byte(fmt.Sprintf("dial gateway: %v", err))})
		}
		return
	}
	s.mu.Lock()
	if s.closed || s.finishing {
		s.mu.Unlock()
		conn.Close()
		return
	}
	s.tcp, s.open, s.credit = conn, true, sl.Window
	s.mu.Unlock()
	b.opened.Add(1)
	b.logf("--- session %d joined to %s", s.id, conn.RemoteAddr())
	if err := ln.send(sl.Frame{Type: sl.Opened, Session: s.id}); err != nil {
		s.shutdown(err.Error())
		return
	}
	ln.wg.Add(1)
	go s.writer(conn)
	s.pump(conn)
}

// pump forwards gateway bytes to the device.
func (s *session) pump(conn net.Conn) {
	ln, b := s.ln, s.ln.b
	buf := make([]byte, sl.MaxPayload)
	for {
		s.mu.Lock()
		for s.credit == 0 && !s.closed {
			s.waitLocked()
		}
		if s.closed {
			s.mu.Unlock()
			return
		}
		n := min(s.credit, sl.MaxPayload)
		s.mu.Unlock()

		k, err := conn.Read(buf[:n])
		if k > 0 {
			s.mu.Lock()
			s.credit -= k
			s.mu.Unlock()
			if serr := ln.send(sl.Frame{Type: sl.Data, Session: s.id, Payload: buf[:k]}); serr != nil {
				s.shutdown(serr.Error())
				return
			}
			b.toDev.Add(int64(k))
		}
		if err != nil {
			if ln.remove(s) {
				reason := ""
				if !errors.Is(err, io.EOF) {
					reason = "gateway connection: " + err.Error()
				}
				_ = ln.send(sl.Frame{Type: sl.Close, Session: s.id, Payload: []byte(reason)})
				s.finish() // let the writer deliver what is queued
			}
			return
		}
	}
}

// writer forwards device bytes to the gateway and returns credit.
func (s *session) writer(conn net.Conn) {
	ln := s.ln
	defer ln.wg.Done()
	defer ln.guard()
	for {
		s.mu.Lock()
		for len(s.q) == 0 && !s.finishing && !s.closed {
			s.waitLocked()
		}
		if s.closed || (len(s.q) == 0 && s.finishing) {
			s.closed = true
			s.broadcast()
			s.mu.Unlock()
			conn.Close()
			return
		}
		data := s.q
		s.q = nil
		s.mu.Unlock()

		if _, err := conn.Write(data); err != nil {
			if ln.remove(s) {
				_ = ln.send(sl.Frame{Type: sl.Close, Session: s.id, Payload: []byte("gateway connection: " + err.Error())})
			}
			s.shutdown(err.Error())
			return
		}
		_ = ln.send(sl.Frame{Type: sl.Credit, Session: s.id, Payload: sl.CreditPayload(uint32(len(data)))})
	}
}
