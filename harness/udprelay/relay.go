// Package udprelay relays UDP datagrams between a client and an upstream
// address, with fault controls.
//
// Why it exists: scenarios inject link faults between the gateway and a
// vehicle, and MAVLink runs over UDP, which toxiproxy does not proxy. The
// relay sits in the middle: the client (the gateway) sends to the relay's
// listening address; the relay forwards from its own upstream socket to the
// vehicle and sends the vehicle's replies back to the client's address,
// which it learns from the client's datagrams (or is told in advance).
// Cut drops everything in both directions until Restore; Latency delays
// every datagram.
//
// Mind how PX4 treats the relay: a PX4 UDP link latches the first address
// it hears from, so once the relay's upstream socket has talked to a
// vehicle link, that link answers only the relay. Bind the upstream socket
// where the vehicle already sends (Config.UpstreamBind, e.g. PX4's
// 127.0.0.1:14540+i) to get its telemetry before the client speaks.
package udprelay

import (
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// Config configures a Relay.
type Config struct {
	// Listen is where the client sends. Default "127.0.0.1:0".
	Listen string
	// Upstream is where the client's datagrams go (e.g. the vehicle's API
	// link). It may be left empty and set later with SetUpstream.
	Upstream string
	// UpstreamBind is the local address of the socket facing upstream.
	// Default "127.0.0.1:0".
	UpstreamBind string
	// Client, if set, is where upstream datagrams go until the client's
	// own datagrams reveal its address.
	Client string
	// Latency delays every datagram in both directions.
	Latency time.Duration
	// OnFault, if set, is told of each fault as it is injected or healed
	// ("cut", "restore", "latency 200ms"): the testbed records them on
	// the spec's timeline.
	OnFault func(fault string)
}

// Direction names a relay direction.
type Direction int

// The two directions.
const (
	ToUpstream Direction = iota // client → upstream
	ToClient                    // upstream → client
)

// Stats are the relay's packet counters.
type Stats struct {
	// Relayed counts datagrams delivered, per direction.
	ToUpstream, ToClient uint64
	// Dropped counts datagrams discarded (cut, or nowhere to send).
	DroppedToUpstream, DroppedToClient uint64
}

// Relay is a running UDP relay.
type Relay struct {
	down *net.UDPConn // faces the client
	up   *net.UDPConn // faces upstream

	mu       sync.Mutex
	upstream *net.UDPAddr
	client   *net.UDPAddr

	cut     atomic.Bool
	latency atomic.Int64 // ns
	onFault func(fault string)

	relayed [2]atomic.Uint64
	dropped [2]atomic.Uint64

	queues [2]chan delayed
	stop   chan struct{}
	wg     sync.WaitGroup
	once   sync.Once
}

// delayed is a datagram waiting for its latency to pass.
type delayed struct {
	data []byte
	due  time.Time
}

// queueLength bounds the datagrams in flight per direction under latency.
const queueLength = 4096

// New binds the relay's sockets and starts relaying.
func New(cfg Config) (*Relay, error) {
	if cfg.Listen == "" {
		cfg.Listen = "127.0.0.1:0"
	}
	if cfg.UpstreamBind == "" {
		cfg.UpstreamBind = "127.0.0.1:0"
	}
	r := &Relay{stop: make(chan struct{}), onFault: cfg.OnFault}
	var err error
	if cfg.Upstream != "" {
		if r.upstream, err = net.ResolveUDPAddr("udp4", cfg.Upstream); err != nil {
			return nil, fmt.Errorf("udprelay: upstream %q: %w", cfg.Upstream, err)
		}
	}
	if cfg.Client != "" {
		if r.client, err = net.ResolveUDPAddr("udp4", cfg.Client); err != nil {
			return nil, fmt.Errorf("udprelay: client %q: %w", cfg.Client, err)
		}
	}
	if r.down, err = listen(cfg.Listen); err != nil {
		return nil, err
	}
	if r.up, err = listen(cfg.UpstreamBind); err != nil {
		r.down.Close()
		return nil, err
	}
	r.latency.Store(int64(cfg.Latency))
	for d := range r.queues {
		r.queues[d] = make(chan delayed, queueLength)
		r.wg.Add(1)
		go r.deliverLoop(Direction(d))
	}
	r.wg.Add(2)
	go r.readLoop(r.down, ToUpstream)
	go r.readLoop(r.up, ToClient)
	return r, nil
}

func listen(addr string) (*net.UDPConn, error) {
	a, err := net.ResolveUDPAddr("udp4", addr)
	if err != nil {
		return nil, fmt.Errorf("udprelay: %q: %w", addr, err)
	}
	c, err := net.ListenUDP("udp4", a)
	if err != nil {
		return nil, fmt.Errorf("udprelay: %w", err)
	}
	return c, nil
}

// Addr is where the client sends.
func (r *Relay) Addr() *net.UDPAddr { return r.down.LocalAddr().(*net.UDPAddr) }

// UpstreamAddr is the address upstream sees the relay's datagrams come
// from (its upstream-facing socket).
func (r *Relay) UpstreamAddr() *net.UDPAddr { return r.up.LocalAddr().(*net.UDPAddr) }

// SetUpstream sets or changes where client datagrams go.
func (r *Relay) SetUpstream(addr string) error {
	a, err := net.ResolveUDPAddr("udp4", addr)
	if err != nil {
		return fmt.Errorf("udprelay: upstream %q: %w", addr, err)
	}
	r.mu.Lock()
	r.upstream = a
	r.mu.Unlock()
	return nil
}

// Client is the client address the relay currently answers (nil if not
// known yet).
func (r *Relay) Client() *net.UDPAddr {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.client
}

// Cut drops every datagram in both directions until Restore.
func (r *Relay) Cut() {
	if !r.cut.Swap(true) {
		r.note("cut")
	}
}

// Restore ends a Cut.
func (r *Relay) Restore() {
	if r.cut.Swap(false) {
		r.note("restore")
	}
}

func (r *Relay) note(fault string) {
	if r.onFault != nil {
		r.onFault(fault)
	}
}

// IsCut reports whether the relay is cut.
func (r *Relay) IsCut() bool { return r.cut.Load() }

// SetLatency changes the delay applied to datagrams received from now on.
func (r *Relay) SetLatency(d time.Duration) {
	if time.Duration(r.latency.Swap(int64(d))) != d {
		r.note("latency " + d.String())
	}
}

// Stats returns the counters.
func (r *Relay) Stats() Stats {
	return Stats{
		ToUpstream:        r.relayed[ToUpstream].Load(),
		ToClient:          r.relayed[ToClient].Load(),
		DroppedToUpstream: r.dropped[ToUpstream].Load(),
		DroppedToClient:   r.dropped[ToClient].Load(),
	}
}

// Close stops relaying, closes both sockets and waits for the relay's
// goroutines. Safe to call twice.
func (r *Relay) Close() error {
	var err error
	r.once.Do(func() {
		close(r.stop)
		err = errors.Join(r.down.Close(), r.up.Close())
		r.wg.Wait()
	})
	return err
}

func (r *Relay) readLoop(conn *net.UDPConn, d Direction) {
	defer r.wg.Done()
	buf := make([]byte, 65536)
	for {
		n, src, err := conn.ReadFromUDP(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		if d == ToUpstream {
			r.mu.Lock()
			r.client = src
			r.mu.Unlock()
		}
		if r.cut.Load() {
			r.dropped[d].Add(1)
			continue
		}
		data := append([]byte(nil), buf[:n]...)
		if lat := time.Duration(r.latency.Load()); lat > 0 {
			select {
			case r.queues[d] <- delayed{data: data, due: time.Now().Add(lat)}:
			default:
				r.dropped[d].Add(1) // queue full
			}
			continue
		}
		r.send(d, data)
	}
}

// deliverLoop sends delayed datagrams in order once they are due.
func (r *Relay) deliverLoop(d Direction) {
	defer r.wg.Done()
	timer := time.NewTimer(0)
	defer timer.Stop()
	<-timer.C
	for {
		select {
		case <-r.stop:
			return
		case p := <-r.queues[d]:
			if wait := time.Until(p.due); wait > 0 {
				timer.Reset(wait)
				select {
				case <-timer.C:
				case <-r.stop:
					return
				}
			}
			if r.cut.Load() {
				r.dropped[d].Add(1)
				continue
			}
			r.send(d, p.data)
		}
	}
}

func (r *Relay) send(d Direction, data []byte) {
	r.mu.Lock()
	conn, dst := r.up, r.upstream
	if d == ToClient {
		conn, dst = r.down, r.client
	}
	r.mu.Unlock()
	if dst == nil {
		r.dropped[d].Add(1)
		return
	}
	if _, err := conn.WriteToUDP(data, dst); err != nil {
		r.dropped[d].Add(1)
		return
	}
	r.relayed[d].Add(1)
}
