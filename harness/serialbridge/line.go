package serialbridge

import (
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	sl "github.com/wasmbed/wasmbed/firmware/seriallink"
)

// line is one connection to the guest's data line and the sessions it
// carries. Sessions never outlive their line.
type line struct {
	b    *Bridge
	conn io.ReadWriteCloser
	dec  *sl.Decoder

	wmu  sync.Mutex
	wbuf []byte

	nonce atomic.Uint32 // of the last RESET sent

	mu       sync.Mutex
	sessions map[uint16]*session
	wg       sync.WaitGroup // session goroutines
}

func newLine(b *Bridge, conn io.ReadWriteCloser) *line {
	return &line{b: b, conn: conn, dec: sl.NewDecoder(conn, sl.FromDevice), sessions: make(map[uint16]*session)}
}

// send writes one frame to the device. While the link is cut the frame is
// dropped. A write that misses WriteTimeout drops the line: the
// supervisor reconnects and the device is told with RESET.
func (ln *line) send(f sl.Frame) error {
	f.Dir = sl.FromHost
	if ln.b.cut.Load() {
		ln.b.dropped.Add(1)
		return nil
	}
	ln.wmu.Lock()
	defer ln.wmu.Unlock()
	var err error
	ln.wbuf, err = sl.AppendFrame(ln.wbuf[:0], f)
	if err != nil {
		return err
	}
	if d, ok := ln.conn.(interface{ SetWriteDeadline(time.Time) error }); ok {
		_ = d.SetWriteDeadline(time.Now().Add(ln.b.cfg.WriteTimeout))
	}
	n, err := ln.conn.Write(ln.wbuf)
	ln.b.wireToDev.Add(int64(n))
	if err != nil {
		ln.conn.Close() // the read loop ends and the supervisor reconnects
		return fmt.Errorf("write to the line: %w", err)
	}
	if f.Type != sl.Data && f.Type != sl.Credit && f.Type != sl.Pong {
		ln.b.logf("H→D %s", f)
	}
	return nil
}

// sendReset tells the device this bridge holds no session, under a fresh
// nonce the device echoes in its READY.
func (ln *line) sendReset() {
	nonce := rand.Uint32() | 1
	ln.nonce.Store(nonce)
	_ = ln.send(sl.Frame{Type: sl.Reset, Payload: sl.ResetPayload(nonce)})
}

func (ln *line) activeSessions() int {
	ln.mu.Lock()
	defer ln.mu.Unlock()
	return len(ln.sessions)
}

// closeSessions closes every session's TCP connection without telling the
// device (it is gone, or will be told with RESET).
func (ln *line) closeSessions(why string) {
	ln.mu.Lock()
	ss := ln.sessions
	ln.sessions = make(map[uint16]*session)
	ln.mu.Unlock()
	for _, s := range ss {
		s.shutdown(why)
	}
	if len(ss) > 0 {
		ln.b.logf("--- closed %d session(s): %s", len(ss), why)
	}
}

func (ln *line) readLoop() error {
	for {
		f, err := ln.dec.Next()
		var ce *sl.CorruptError
		if errors.As(err, &ce) {
			ln.dropCorrupt(ce)
			continue
		}
		if err != nil {
			return err
		}
		if ln.b.cut.Load() {
			ln.b.dropped.Add(1)
			continue
		}
		ln.handle(f)
	}
}

// dropCorrupt ends the session a corrupted frame belonged to (its byte
// stream has a hole): the TCP connection is closed and the device told.
func (ln *line) dropCorrupt(ce *sl.CorruptError) {
	ln.b.logf("D→H corrupted %s s=%d (CRC-32 mismatch)", ce.Type, ce.Session)
	if ln.b.cut.Load() || ce.Session == 0 {
		return
	}
	ln.mu.Lock()
	s := ln.sessions[ce.Session]
	ln.mu.Unlock()
	if s != nil && ln.remove(s) {
		s.shutdown("corrupted frame")
		_ = ln.send(sl.Frame{Type: sl.Close, Session: ce.Session, Payload: []byte("corrupted frame")})
	}
}

func (ln *line) handle(f sl.Frame) {
	if f.Type != sl.Data && f.Type != sl.Credit && f.Type != sl.Ping {
		ln.b.logf("D→H %s", f)
	}
	ln.mu.Lock()
	s := ln.sessions[f.Session]
	ln.mu.Unlock()
	switch f.Type {
	case sl.Ready:
		version, nonce, name, err := sl.ParseReady(f.Payload)
		if err != nil {
			ln.b.logf("--- ignored: %v", err)
			return
		}
		// The answer to our own RESET: every session this line holds was
		// opened after the RESET went out, and the device still waits for
		// it (it repeats its OPEN). Anything else means the device
		// restarted: its sessions are gone.
		if nonce == 0 || nonce != ln.nonce.Load() {
			ln.closeSessions("device restarted its link")
		}
		ln.b.noteReady(name, version)
	case sl.Open:
		if s != nil {
			if s.isOpen() {
				_ = ln.send(sl.Frame{Type: sl.Opened, Session: f.Session})
			}
			return // a repeated OPEN while dialling
		}
		s = newSession(ln, f.Session)
		ln.mu.Lock()
		ln.sessions[f.Session] = s
		ln.mu.Unlock()
		ln.wg.Add(1)
		go s.run()
	case sl.Data:
		if s == nil {
			_ = ln.send(sl.Frame{Type: sl.Close, Session: f.Session, Payload: []byte("unknown session")})
			return
		}
		ln.b.fromDev.Add(int64(len(f.Payload)))
		if err := s.queue(f.Payload); err != nil {
			ln.remove(s)
			s.shutdown(err.Error())
			_ = ln.send(sl.Frame{Type: sl.Close, Session: f.Session, Payload: []byte(err.Error())})
		}
	case sl.Credit:
		if n, err := f.CreditBytes(); err == nil && s != nil {
			s.addCredit(int(n))
		}
	case sl.Close:
		if s != nil {
			ln.remove(s)
			s.finish()
		}
	case sl.Ping:
		_ = ln.send(sl.Frame{Type: sl.Pong, Payload: f.Payload})
	}
}

// remove forgets s if it is still the session under its id.
func (ln *line) remove(s *session) bool {
	ln.mu.Lock()
	defer ln.mu.Unlock()
	if ln.sessions[s.id] == s {
		delete(ln.sessions, s.id)
		return true
	}
	return false
}

// guard turns a panic in a session goroutine into a line failure, which
// the supervisor recovers from.
func (ln *line) guard() {
	if r := recover(); r != nil {
		ln.b.panics.Add(1)
		ln.b.logf("--- session goroutine panicked: %v", r)
		ln.conn.Close()
	}
}
