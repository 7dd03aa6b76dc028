package seriallink

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// Errors a session can end with.
var (
	// ErrLinkTimeout: the host sent nothing (not even a PONG) for
	// Config.Timeout while the session was open: the cable is cut or the
	// bridge hangs.
	ErrLinkTimeout = errors.New("seriallink: no answer from the host on the serial line")
	// ErrLinkReset: the host's bridge restarted, so the TCP connection
	// behind the session is gone.
	ErrLinkReset = errors.New("seriallink: the host bridge restarted; session lost")
	// ErrLinkClosed: the link itself was closed or its line failed.
	ErrLinkClosed = errors.New("seriallink: link closed")
)

// Config tunes a Link. Zero values take the defaults.
type Config struct {
	// Name is announced to the host in READY (the device name).
	Name string
	// KeepAlive is how long the link stays silent while a session is open
	// before it sends a PING. Default 2s.
	KeepAlive time.Duration
	// Timeout is how long without any frame from the host ends the open
	// sessions with ErrLinkTimeout. Default 8s.
	Timeout time.Duration
	// WriteTimeout bounds one frame write to the line. Default 5s.
	WriteTimeout time.Duration
	// OpenRetry is the interval at which an unanswered OPEN is sent again
	// (the host may not have been listening). Default 1s.
	OpenRetry time.Duration
	// Logger receives link events; nil discards them.
	Logger *slog.Logger
}

func (c *Config) defaults() {
	if c.KeepAlive <= 0 {
		c.KeepAlive = 2 * time.Second
	}
	if c.Timeout <= 0 {
		c.Timeout = 8 * time.Second
	}
	if c.WriteTimeout <= 0 {
		c.WriteTimeout = 5 * time.Second
	}
	if c.OpenRetry <= 0 {
		c.OpenRetry = time.Second
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
}

// Stats are a Link's counters.
type Stats struct {
	DecoderStats
	// Sessions is the number of sessions the host accepted.
	Sessions int64
	// ActiveSessions is the number of sessions open now.
	ActiveSessions int
	// BytesSent and BytesReceived count DATA payload bytes.
	BytesSent, BytesReceived int64
	// Resets counts RESET frames from the host; Timeouts counts keep-alive
	// expiries that ended sessions.
	Resets, Timeouts int64
}

// Link is the device end of the serial link. Its methods are safe for
// concurrent use.
type Link struct {
	port io.ReadWriteCloser
	cfg  Config
	log  *slog.Logger
	dec  *Decoder

	wmu  sync.Mutex // serialises frame writes
	wbuf []byte

	mu       sync.Mutex
	sessions map[uint16]*conn
	nextID   uint16
	lastRx   time.Time
	lastPing time.Time
	err      error // set once the link is dead
	done     chan struct{}

	sessionsOpened, bytesSent, bytesRecv, resets, timeouts atomic.Int64
}

// New starts a link over port, which must already be in raw mode with its
// input flushed (see OpenTTY), and announces readiness to the host.
// The link owns port and closes it in Close.
func New(port io.ReadWriteCloser, cfg Config) *Link {
	cfg.defaults()
	l := &Link{
		port:     port,
		cfg:      cfg,
		log:      cfg.Logger.With("component", "seriallink"),
		dec:      NewDecoder(port, FromHost),
		sessions: make(map[uint16]*conn),
		lastRx:   time.Now(),
		done:     make(chan struct{}),
	}
	if err := l.sendReady(); err != nil {
		l.log.Warn("announcing readiness failed", "err", err)
	}
	go l.readLoop()
	go l.tickLoop()
	return l
}

// Close ends every session and closes the port.
func (l *Link) Close() error {
	l.fail(ErrLinkClosed)
	return nil
}

// Done is closed when the link has died (Close, or the line failed).
func (l *Link) Done() <-chan struct{} { return l.done }

// Err returns why the link died, or nil while it is up.
func (l *Link) Err() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.err
}

// Stats returns the link's counters.
func (l *Link) Stats() Stats {
	l.mu.Lock()
	active := 0
	for _, c := range l.sessions {
		if c.state == stateOpen {
			active++
		}
	}
	l.mu.Unlock()
	return Stats{
		DecoderStats: l.dec.Stats(), Sessions: l.sessionsOpened.Load(), ActiveSessions: active,
		BytesSent: l.bytesSent.Load(), BytesReceived: l.bytesRecv.Load(),
		Resets: l.resets.Load(), Timeouts: l.timeouts.Load(),
	}
}

// Dial opens a new session: the host bridge opens a fresh TCP connection to
// the gateway and the returned net.Conn carries its bytes. Dial waits until
// the host answers, ctx ends, or the link dies; an unanswered OPEN is sent
// again every Config.OpenRetry.
func (l *Link) Dial(ctx context.Context) (net.Conn, error) {
	l.mu.Lock()
	if l.err != nil {
		err := l.err
		l.mu.Unlock()
		return nil, err
	}
	id := l.allocID()
	c := newConn(l, id)
	l.sessions[id] = c
	c.openSent = time.Now()
	l.mu.Unlock()

	if err := l.send(Frame{Type: Open, Session: id}); err != nil {
		l.drop(c)
		return nil, fmt.Errorf("seriallink: send OPEN: %w", err)
	}
	l.mu.Lock()
	for {
		switch {
		case c.opened:
			// Open, or already ended by the host with data to read.
			l.mu.Unlock()
			l.log.Debug("session open", "session", id)
			return c, nil
		case c.state == stateClosed:
			err := c.rerr
			l.mu.Unlock()
			return nil, fmt.Errorf("seriallink: dial: %w", err)
		case ctx.Err() != nil:
			delete(l.sessions, id)
			c.state = stateClosed
			l.mu.Unlock()
			// The host may have dialled already: tell it to let go.
			_ = l.send(Frame{Type: Close, Session: id, Payload: []byte("dial abandoned")})
			return nil, fmt.Errorf("seriallink: dial: no answer from the host bridge: %w", ctx.Err())
		}
		c.wait(time.Time{}, ctx.Done())
	}
}

// allocID returns an unused session id; l.mu is held.
func (l *Link) allocID() uint16 {
	for {
		l.nextID++
		if l.nextID == 0 {
			continue
		}
		if _, used := l.sessions[l.nextID]; !used {
			return l.nextID
		}
	}
}

// drop forgets a session without telling the host.
func (l *Link) drop(c *conn) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.sessions[c.id] == c {
		delete(l.sessions, c.id)
	}
	c.state = stateClosed
	c.broadcast()
}

func (l *Link) sendReady() error {
	return l.send(Frame{Type: Ready, Payload: ReadyPayload(0, l.cfg.Name)})
}

// send writes one frame to the line, bounded by Config.WriteTimeout.
func (l *Link) send(f Frame) error {
	f.Dir = FromDevice
	l.wmu.Lock()
	defer l.wmu.Unlock()
	var err error
	l.wbuf, err = AppendFrame(l.wbuf[:0], f)
	if err != nil {
		return err
	}
	if d, ok := l.port.(interface{ SetWriteDeadline(time.Time) error }); ok {
		_ = d.SetWriteDeadline(time.Now().Add(l.cfg.WriteTimeout))
	}
	if _, err := l.port.Write(l.wbuf); err != nil {
		return fmt.Errorf("seriallink: write to the serial line: %w", err)
	}
	return nil
}

// fail kills the link: every session ends with err.
func (l *Link) fail(err error) {
	l.mu.Lock()
	if l.err != nil {
		l.mu.Unlock()
		return
	}
	l.err = err
	for id, c := range l.sessions {
		c.fail(err)
		delete(l.sessions, id)
	}
	close(l.done)
	l.mu.Unlock()
	l.port.Close()
}

// failSessions ends the open sessions with err; pending dials go on.
// l.mu is held.
func (l *Link) failSessions(err error) int {
	n := 0
	for id, c := range l.sessions {
		if c.state == stateOpen {
			c.fail(err)
			delete(l.sessions, id)
			n++
		}
	}
	return n
}

func (l *Link) readLoop() {
	for {
		f, err := l.dec.Next()
		var ce *CorruptError
		if errors.As(err, &ce) {
			l.dropCorrupt(ce)
			continue
		}
		if err != nil {
			if l.Err() == nil {
				l.log.Error("serial line read failed", "err", err)
			}
			l.fail(fmt.Errorf("%w: %v", ErrLinkClosed, err))
			return
		}
		l.handle(f)
	}
}

// dropCorrupt ends the session a corrupted frame belonged to: its byte
// stream has a hole, so it cannot go on. Both ends are told, so the host
// closes the TCP connection and the application sees an error, not
// silently missing bytes.
func (l *Link) dropCorrupt(ce *CorruptError) {
	l.log.Warn("corrupted frame on the serial line", "type", ce.Type, "session", ce.Session)
	if ce.Session == 0 {
		return // link-level frame: PING/RESET are repeated anyway
	}
	l.mu.Lock()
	l.lastRx = time.Now()
	c := l.sessions[ce.Session]
	if c != nil {
		c.fail(ce)
		delete(l.sessions, ce.Session)
	}
	l.mu.Unlock()
	if c != nil {
		_ = l.send(Frame{Type: Close, Session: ce.Session, Payload: []byte("corrupted frame")})
	}
}

// handle acts on one frame from the host. Replies are sent after l.mu is
// released, since a write may block.
func (l *Link) handle(f Frame) {
	var replies []Frame
	l.mu.Lock()
	l.lastRx = time.Now()
	c := l.sessions[f.Session]
	switch f.Type {
	case Reset:
		l.resets.Add(1)
		if n := l.failSessions(ErrLinkReset); n > 0 {
			l.log.Warn("host bridge restarted; sessions lost", "sessions", n)
		}
		// READY first, so the host forgets old sessions before it sees the
		// pending dials again.
		_, nonce, _ := ParseReset(f.Payload)
		replies = append(replies, Frame{Type: Ready, Payload: ReadyPayload(nonce, l.cfg.Name)})
		for id, pc := range l.sessions {
			if pc.state == statePending {
				pc.openSent = time.Now()
				replies = append(replies, Frame{Type: Open, Session: id})
			}
		}
	case Opened:
		if c != nil && c.state == statePending {
			c.state, c.opened = stateOpen, true
			c.sendCredit = Window
			l.sessionsOpened.Add(1)
			c.broadcast()
		}
	case Data:
		switch {
		case c == nil:
			replies = append(replies, Frame{Type: Close, Session: f.Session, Payload: []byte("unknown session")})
		case c.state != stateOpen:
		case len(c.rbuf)+len(f.Payload) > Window:
			c.fail(errors.New("seriallink: host overran the flow-control window"))
			delete(l.sessions, c.id)
			replies = append(replies, Frame{Type: Close, Session: f.Session, Payload: []byte("window overrun")})
		default:
			c.rbuf = append(c.rbuf, f.Payload...)
			l.bytesRecv.Add(int64(len(f.Payload)))
			c.broadcast()
		}
	case Credit:
		if n, err := f.CreditBytes(); err == nil && c != nil && c.state == stateOpen {
			c.sendCredit += int(n)
			c.broadcast()
		}
	case Close:
		if c != nil {
			c.remoteClose(string(f.Payload))
			delete(l.sessions, c.id)
		}
	case Ping:
		replies = append(replies, Frame{Type: Pong, Payload: f.Payload})
	case Pong:
	}
	l.mu.Unlock()
	for _, r := range replies {
		if err := l.send(r); err != nil {
			l.log.Warn("reply to host failed", "frame", r.Type, "err", err)
		}
	}
}

// tickLoop sends keep-alives, expires silent sessions and repeats
// unanswered OPENs.
func (l *Link) tickLoop() {
	period := min(l.cfg.KeepAlive, l.cfg.OpenRetry) / 4
	t := time.NewTicker(max(period, 10*time.Millisecond))
	defer t.Stop()
	for {
		select {
		case <-l.done:
			return
		case <-t.C:
		}
		var out []Frame
		now := time.Now()
		l.mu.Lock()
		open := 0
		for id, c := range l.sessions {
			switch c.state {
			case stateOpen:
				open++
			case statePending:
				if now.Sub(c.openSent) >= l.cfg.OpenRetry {
					c.openSent = now
					out = append(out, Frame{Type: Open, Session: id})
				}
			}
		}
		silent := now.Sub(l.lastRx)
		if open > 0 && silent >= l.cfg.Timeout {
			l.timeouts.Add(1)
			n := l.failSessions(fmt.Errorf("%w for %s", ErrLinkTimeout, silent.Round(time.Millisecond)))
			l.log.Warn("host silent; sessions ended", "silent", silent, "sessions", n)
		} else if open > 0 && silent >= l.cfg.KeepAlive && now.Sub(l.lastPing) >= l.cfg.KeepAlive {
			l.lastPing = now
			out = append(out, Frame{Type: Ping})
		}
		l.mu.Unlock()
		for _, f := range out {
			if err := l.send(f); err != nil {
				l.log.Warn("keep-alive write failed", "frame", f.Type, "err", err)
			}
		}
	}
}
