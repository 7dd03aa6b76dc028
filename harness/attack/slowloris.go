package attack

import (
	"context"
	"fmt"
	"io"
	"net"
	"sort"
	"sync"
	"time"
)

// Slowloris opens connections to the device port that never finish the
// TLS handshake: silent ones, and (with Trickle) ones that send a
// ClientHello one byte at a time to look alive. The gateway must close
// each within its handshake timeout, and refuse connections past its cap
// at once.
type Slowloris struct {
	// Addr is the gateway's device endpoint; LocalIP the source.
	Addr, LocalIP string
	// Trickle, if set, sends one byte of a ClientHello every Trickle on
	// every other connection.
	Trickle time.Duration
}

// Held is a batch of slowloris connections.
type Held struct {
	start time.Time
	conns []net.Conn
	done  chan struct{}

	mu        sync.Mutex
	lifetimes []time.Duration // by connection, once the gateway closed it
	closed    int
}

// Open opens n connections at once and holds them until the gateway
// closes them or Close is called.
func (s *Slowloris) Open(ctx context.Context, n int) (*Held, error) {
	h := &Held{start: time.Now(), done: make(chan struct{}), lifetimes: make([]time.Duration, n)}
	for i := range n {
		c, err := DialRaw(ctx, s.Addr, s.LocalIP, 0)
		if err != nil {
			h.Close()
			return nil, fmt.Errorf("connection %d of %d: %w", i+1, n, err)
		}
		h.conns = append(h.conns, c)
	}
	hello := ClientHello(StrongSuites)
	for i, c := range h.conns {
		if s.Trickle > 0 && i%2 == 1 {
			go trickle(c, hello, s.Trickle, h.done)
		}
		go h.watch(i, c)
	}
	return h, nil
}

// trickle writes b one byte per every, until it is all sent, a write
// fails or done closes.
func trickle(c net.Conn, b []byte, every time.Duration, done <-chan struct{}) {
	t := time.NewTicker(every)
	defer t.Stop()
	for _, x := range b {
		select {
		case <-done:
			return
		case <-t.C:
		}
		if _, err := c.Write([]byte{x}); err != nil {
			return
		}
	}
}

// watch records when the gateway ends connection i: a read returns EOF or
// a reset. Anything the gateway sends first (an alert) is read past.
func (h *Held) watch(i int, c net.Conn) {
	_, _ = io.Copy(io.Discard, c)
	h.mu.Lock()
	h.lifetimes[i] = time.Since(h.start)
	h.closed++
	h.mu.Unlock()
}

// Closed reports how many connections have ended so far.
func (h *Held) Closed() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.closed
}

// Wait waits until every connection has ended, or timeout passes, and
// returns how long each lived, sorted.
func (h *Held) Wait(ctx context.Context, timeout time.Duration) ([]time.Duration, error) {
	err := poll(ctx, timeout, func(context.Context) (bool, error) { return h.Closed() == len(h.conns), nil })
	h.mu.Lock()
	out := append([]time.Duration(nil), h.lifetimes...)
	closed := h.closed
	h.mu.Unlock()
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	if err != nil {
		return out, fmt.Errorf("%d of %d connections still open after %s", len(h.conns)-closed, len(h.conns), timeout)
	}
	return out, nil
}

// Close ends every connection from the client side.
func (h *Held) Close() {
	select {
	case <-h.done:
	default:
		close(h.done)
	}
	for _, c := range h.conns {
		c.Close()
	}
}

// Hold keeps n slowloris connections pending until ctx ends, opening a new
// one whenever the gateway closes one, and returns how many it opened.
func (s *Slowloris) Hold(ctx context.Context, n int) int {
	var wg sync.WaitGroup
	var mu sync.Mutex
	opened := 0
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				c, err := DialRaw(ctx, s.Addr, s.LocalIP, 0)
				if err != nil {
					continue
				}
				mu.Lock()
				opened++
				mu.Unlock()
				stop := context.AfterFunc(ctx, func() { c.Close() })
				_, _ = io.Copy(io.Discard, c)
				stop()
				c.Close()
			}
		}()
	}
	wg.Wait()
	return opened
}

// slowloris holds a batch of silent and trickling connections and checks
// the gateway ends every one within its handshake timeout.
func slowloris(ctx context.Context, t *Target) (Outcome, error) {
	const n = 24
	src := t.Source()
	s := &Slowloris{Addr: t.Addr, LocalIP: src, Trickle: t.HandshakeTimeout / 8}
	h, err := s.Open(ctx, n)
	if err != nil {
		return Outcome{}, err
	}
	defer h.Close()
	bound := t.HandshakeTimeout + time.Second
	lives, err := h.Wait(ctx, t.timeout(2*bound))
	out := Outcome{Refusals: n, Evidence: []string{"source=" + src + ":"}}
	if err != nil {
		return out, err
	}
	out.Detail = fmt.Sprintf("%d connections (half trickling a ClientHello) closed after %s to %s", n, lives[0].Round(time.Millisecond), lives[n-1].Round(time.Millisecond))
	if lives[n-1] > bound {
		return out, fmt.Errorf("a slowloris connection lived %s, past the %s handshake timeout", lives[n-1], t.HandshakeTimeout)
	}
	if lives[0] < t.HandshakeTimeout/2 {
		return out, fmt.Errorf("a slowloris connection was closed after only %s: refused for another reason than the handshake timeout", lives[0])
	}
	return out, nil
}

// connectionCap opens more pending connections than the gateway has free
// slots: the excess must be closed at once, the rest by the handshake
// timeout. The legitimate devices keep the slots they hold.
func connectionCap(ctx context.Context, t *Target) (Outcome, error) {
	open, err := t.Metric(ctx, "wasmbed_gateway_open_connections", nil)
	if err != nil {
		return Outcome{}, err
	}
	const excess = 10
	n := t.MaxConnections - int(open) + excess
	src := t.Source()
	s := &Slowloris{Addr: t.Addr, LocalIP: src}
	h, err := s.Open(ctx, n)
	if err != nil {
		return Outcome{}, err
	}
	defer h.Close()
	lives, err := h.Wait(ctx, t.timeout(2*(t.HandshakeTimeout+time.Second)))
	fast := 0
	for _, l := range lives {
		if l < t.HandshakeTimeout/2 {
			fast++
		}
	}
	out := Outcome{Refusals: fast, Evidence: []string{"source=" + src + ":"},
		Detail: fmt.Sprintf("%d connections with %d slots free: %d closed at once, the rest after %s", n, t.MaxConnections-int(open), fast, lives[len(lives)-1].Round(time.Millisecond))}
	if err != nil {
		return out, err
	}
	if fast < excess/2 || fast > 2*excess {
		return out, fmt.Errorf("%d of %d connections were closed at once; about %d are over the cap of %d", fast, n, excess, t.MaxConnections)
	}
	return out, nil
}
