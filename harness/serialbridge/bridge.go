package serialbridge

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"

	sl "github.com/wasmbed/wasmbed/firmware/seriallink"
)

// Config describes one bridge: which line, and where sessions go.
type Config struct {
	// Name labels the bridge in logs and errors (the device name).
	Name string
	// Socket is the path of the guest's data chardev, a UNIX socket QEMU
	// listens on. Ignored if DialLine is set.
	Socket string
	// DialLine connects to the line; tests use it for a pipe or a pty.
	DialLine func(ctx context.Context) (io.ReadWriteCloser, error)
	// Target is the TCP address each session is joined to (the gateway).
	// Ignored if DialTarget is set.
	Target string
	// DialTarget opens the connection for one session.
	DialTarget func(ctx context.Context) (net.Conn, error)
	// Log receives the data-line log: one line per frame and event (never
	// payload bytes). Nil discards it.
	Log io.Writer
	// WriteTimeout bounds one frame write to the line (default 5s); a line
	// that stalls longer is dropped and reconnected.
	WriteTimeout time.Duration
	// DialTimeout bounds the TCP dial for one session (default 5s).
	DialTimeout time.Duration
}

// Stats are a bridge's counters since Start.
type Stats struct {
	// Connected says whether the bridge is attached to the line now.
	Connected bool
	// Cut says whether the link is cut (see Cut).
	Cut bool
	// LineConnects counts connections to the line: 1 + reconnects.
	LineConnects int64
	// Readies counts READY frames from the device (boots and resets).
	Readies int64
	// SessionsOpened counts sessions joined to the target; SessionsFailed
	// those whose dial failed. ActiveSessions is the number open now.
	SessionsOpened, SessionsFailed int64
	ActiveSessions                 int
	// BytesToDevice and BytesFromDevice count forwarded session bytes.
	BytesToDevice, BytesFromDevice int64
	// WireBytesToDevice counts every byte written to the line.
	WireBytesToDevice int64
	// FromDevice are the decoder counters: wire bytes read from the line,
	// garbage skipped, header and CRC errors.
	FromDevice sl.DecoderStats
	// DroppedFrames counts frames dropped because the link was cut.
	DroppedFrames int64
	// Panics counts serving loops that died and were restarted.
	Panics int64
}

// ReadyEvent is a READY frame from the device.
type ReadyEvent struct {
	// Seq numbers READY frames from 1; see WaitReady.
	Seq uint64
	// At is when the frame arrived: for a fresh boot, the device's first
	// byte on the data line.
	At      time.Time
	Name    string
	Version byte
}

// Bridge joins a device's serial sessions to TCP connections. Its methods
// are safe for concurrent use.
type Bridge struct {
	cfg    Config
	ctx    context.Context
	cancel context.CancelFunc
	done   chan struct{}
	logMu  sync.Mutex

	cut atomic.Bool

	mu       sync.Mutex
	line     *line // current line, nil while disconnected
	ready    ReadyEvent
	readyCh  chan struct{} // closed and replaced on every READY
	decTotal sl.DecoderStats

	lineConnects, readies, opened, failed, toDev, fromDev, wireToDev, dropped, panics atomic.Int64
}

// Start starts a bridge. It connects to the line in the background and
// keeps reconnecting until Close, so it may be started before QEMU.
func Start(cfg Config) (*Bridge, error) {
	if cfg.DialLine == nil {
		if cfg.Socket == "" {
			return nil, errors.New("serialbridge: Config.Socket or Config.DialLine is required")
		}
		path := cfg.Socket
		cfg.DialLine = func(ctx context.Context) (io.ReadWriteCloser, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", path)
		}
	}
	if cfg.DialTarget == nil {
		if cfg.Target == "" {
			return nil, errors.New("serialbridge: Config.Target or Config.DialTarget is required")
		}
		addr := cfg.Target
		cfg.DialTarget = func(ctx context.Context) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "tcp", addr)
		}
	}
	if cfg.WriteTimeout <= 0 {
		cfg.WriteTimeout = 5 * time.Second
	}
	if cfg.DialTimeout <= 0 {
		cfg.DialTimeout = 5 * time.Second
	}
	if cfg.Log == nil {
		cfg.Log = io.Discard
	}
	ctx, cancel := context.WithCancel(context.Background())
	b := &Bridge{cfg: cfg, ctx: ctx, cancel: cancel, done: make(chan struct{}), readyCh: make(chan struct{})}
	go b.run()
	return b, nil
}

// Close stops the bridge: it closes every session and the line, and waits
// for its goroutines.
func (b *Bridge) Close() error {
	b.cancel()
	b.mu.Lock()
	if ln := b.line; ln != nil {
		ln.conn.Close()
	}
	b.mu.Unlock()
	<-b.done
	return nil
}

// Cut severs the link: from now on every frame in either direction is
// dropped, as if the cable were cut. The TCP connections of open sessions
// stay up (the gateway notices only through its own timeouts); the device
// notices through its keep-alive timeout.
func (b *Bridge) Cut() {
	if !b.cut.Swap(true) {
		b.logf("--- link cut")
	}
}

// Restore reconnects a cut link: sessions cut off are closed and the device
// gets a RESET, after which it reconnects.
func (b *Bridge) Restore() {
	if !b.cut.Swap(false) {
		return
	}
	b.logf("--- link restored")
	b.mu.Lock()
	ln := b.line
	b.mu.Unlock()
	if ln != nil {
		ln.closeSessions("link cut")
		ln.sendReset()
	}
}

// Stats returns the bridge's counters.
func (b *Bridge) Stats() Stats {
	b.mu.Lock()
	ln := b.line
	dec := b.decTotal
	b.mu.Unlock()
	s := Stats{
		Connected: ln != nil, Cut: b.cut.Load(),
		LineConnects: b.lineConnects.Load(), Readies: b.readies.Load(),
		SessionsOpened: b.opened.Load(), SessionsFailed: b.failed.Load(),
		BytesToDevice: b.toDev.Load(), BytesFromDevice: b.fromDev.Load(),
		WireBytesToDevice: b.wireToDev.Load(), DroppedFrames: b.dropped.Load(), Panics: b.panics.Load(),
	}
	if ln != nil {
		s.ActiveSessions = ln.activeSessions()
		addDecoderStats(&dec, ln.dec.Stats())
	}
	s.FromDevice = dec
	return s
}

func addDecoderStats(a *sl.DecoderStats, b sl.DecoderStats) {
	a.Frames += b.Frames
	a.Garbage += b.Garbage
	a.HeaderErrors += b.HeaderErrors
	a.CRCErrors += b.CRCErrors
	a.WireBytes += b.WireBytes
}

// LastReady returns the latest READY event (Seq 0 if none yet).
func (b *Bridge) LastReady() ReadyEvent {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.ready
}

// WaitReady waits for a READY frame numbered above after (pass the Seq of
// LastReady taken before booting or resetting the guest) and returns it.
func (b *Bridge) WaitReady(ctx context.Context, after uint64) (ReadyEvent, error) {
	for {
		b.mu.Lock()
		ev, ch := b.ready, b.readyCh
		b.mu.Unlock()
		if ev.Seq > after {
			return ev, nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ReadyEvent{}, fmt.Errorf("serialbridge %s: no READY from the device: %w", b.cfg.Name, ctx.Err())
		case <-b.done:
			return ReadyEvent{}, fmt.Errorf("serialbridge %s: closed while waiting for READY", b.cfg.Name)
		}
	}
}

func (b *Bridge) noteReady(name string, version byte) {
	b.readies.Add(1)
	b.mu.Lock()
	b.ready = ReadyEvent{Seq: b.ready.Seq + 1, At: time.Now(), Name: name, Version: version}
	close(b.readyCh)
	b.readyCh = make(chan struct{})
	b.mu.Unlock()
}

// logf writes one line to the data-line log.
func (b *Bridge) logf(format string, args ...any) {
	b.logMu.Lock()
	defer b.logMu.Unlock()
	fmt.Fprintf(b.cfg.Log, "%s %s\n", time.Now().Format("15:04:05.000000"), fmt.Sprintf(format, args...))
}

// run is the supervisor: it keeps a line connected and served until Close.
func (b *Bridge) run() {
	defer close(b.done)
	const minBackoff, maxBackoff = 20 * time.Millisecond, 250 * time.Millisecond
	backoff := minBackoff
	var lastErr string
	for b.ctx.Err() == nil {
		dctx, cancel := context.WithTimeout(b.ctx, 2*time.Second)
		conn, err := b.cfg.DialLine(dctx)
		cancel()
		if err != nil {
			if msg := err.Error(); msg != lastErr && b.ctx.Err() == nil {
				b.logf("--- cannot connect to the line (retrying): %v", err)
				lastErr = msg
			}
			select {
			case <-b.ctx.Done():
			case <-time.After(backoff):
			}
			backoff = min(2*backoff, maxBackoff)
			continue
		}
		backoff, lastErr = minBackoff, ""
		b.lineConnects.Add(1)
		err = b.serveLine(conn)
		if b.ctx.Err() == nil {
			b.logf("--- line lost: %v", err)
		}
	}
}

// serveLine serves one connection to the line until it fails. A panic in
// the serving code is reported and counts as a line failure, so the
// supervisor restarts the bridge.
func (b *Bridge) serveLine(conn io.ReadWriteCloser) (err error) {
	ln := newLine(b, conn)
	b.mu.Lock()
	if b.ctx.Err() != nil {
		b.mu.Unlock()
		conn.Close()
		return b.ctx.Err()
	}
	b.line = ln
	b.mu.Unlock()
	defer func() {
		if r := recover(); r != nil {
			b.panics.Add(1)
			err = fmt.Errorf("serving loop panicked: %v", r)
		}
		conn.Close()
		ln.closeSessions("line lost")
		ln.wg.Wait()
		b.mu.Lock()
		b.line = nil
		addDecoderStats(&b.decTotal, ln.dec.Stats())
		b.mu.Unlock()
	}()
	b.logf("--- line connected")
	ln.sendReset()
	return ln.readLoop()
}
