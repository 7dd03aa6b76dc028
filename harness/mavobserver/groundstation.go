package mavobserver

import (
	"bytes"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/bluenviron/gomavlib/v3/pkg/dialect"
	"github.com/bluenviron/gomavlib/v3/pkg/dialects/common"
	"github.com/bluenviron/gomavlib/v3/pkg/frame"
	"github.com/bluenviron/gomavlib/v3/pkg/streamwriter"
)

// missionPlanner is MAV_COMP_ID_MISSIONPLANNER, a ground station's
// component id.
const missionPlanner = 190

// beatsKept bounds the remembered heartbeat times (about 28 hours at 1 Hz,
// 17 minutes at 100 Hz).
const beatsKept = 100_000

// groundStation sends the observer's MAV_TYPE_GCS heartbeats from the
// observer's own socket to every vehicle it was given, and remembers when
// it sent them, so the observer can tell whether PX4 would have sent it a
// STATUSTEXT (it sends them only to a link that had a GCS heartbeat within
// 2.5 s).
type groundStation struct {
	conn   *net.UDPConn
	period time.Duration
	wake   chan struct{}
	quit   chan struct{}
	done   chan struct{}

	mu       sync.Mutex
	buf      bytes.Buffer
	sw       *streamwriter.Writer
	dsts     []*net.UDPAddr
	silent   bool
	beats    []time.Time // wall times of the heartbeats sent, oldest first
	silences []time.Time // when StopHeartbeats was called
	started  bool
	closed   bool
}

func newGroundStation(conn *net.UDPConn, sysid uint8, period time.Duration) (*groundStation, error) {
	g := &groundStation{conn: conn, period: period, wake: make(chan struct{}, 1), quit: make(chan struct{}), done: make(chan struct{})}
	rw := &dialect.ReadWriter{Dialect: common.Dialect}
	if err := rw.Initialize(); err != nil {
		return nil, fmt.Errorf("mavobserver: %w", err)
	}
	fw := &frame.Writer{ByteWriter: &g.buf, DialectRW: rw}
	if err := fw.Initialize(); err != nil {
		return nil, fmt.Errorf("mavobserver: %w", err)
	}
	g.sw = &streamwriter.Writer{FrameWriter: fw, Version: streamwriter.V2, SystemID: sysid, ComponentID: missionPlanner}
	if err := g.sw.Initialize(); err != nil {
		return nil, fmt.Errorf("mavobserver: %w", err)
	}
	return g, nil
}

// start runs the heartbeat loop.
func (g *groundStation) start() {
	g.mu.Lock()
	g.started = true
	g.mu.Unlock()
	go g.loop()
}

func (g *groundStation) loop() {
	defer close(g.done)
	t := time.NewTicker(g.period)
	defer t.Stop()
	for {
		g.beat()
		select {
		case <-g.quit:
			return
		case <-t.C:
		case <-g.wake:
		}
	}
}

// beat sends one heartbeat to every vehicle, unless silent.
func (g *groundStation) beat() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.silent || g.closed || len(g.dsts) == 0 {
		return
	}
	g.buf.Reset()
	if err := g.sw.Write(&common.MessageHeartbeat{
		Type:           common.MAV_TYPE_GCS,
		Autopilot:      common.MAV_AUTOPILOT_INVALID,
		SystemStatus:   common.MAV_STATE_ACTIVE,
		MavlinkVersion: 3,
	}); err != nil {
		return
	}
	sent := false
	for _, d := range g.dsts {
		if _, err := g.conn.WriteToUDP(g.buf.Bytes(), d); err == nil {
			sent = true
		}
	}
	if sent {
		g.beats = append(g.beats, time.Now())
		if n := len(g.beats) - beatsKept; n > 0 {
			g.beats = append(g.beats[:0:0], g.beats[n:]...)
		}
	}
}

// add adds a vehicle and has the loop send to it at once.
func (g *groundStation) add(a *net.UDPAddr) {
	g.mu.Lock()
	g.dsts = append(g.dsts, a)
	g.mu.Unlock()
	g.poke()
}

func (g *groundStation) stop() {
	g.mu.Lock()
	if !g.silent {
		g.silent = true
		g.silences = append(g.silences, time.Now())
	}
	g.mu.Unlock()
}

func (g *groundStation) resume() {
	g.mu.Lock()
	g.silent = false
	g.mu.Unlock()
	g.poke()
}

func (g *groundStation) poke() {
	select {
	case g.wake <- struct{}{}:
	default:
	}
}

func (g *groundStation) close() {
	g.mu.Lock()
	if g.closed {
		g.mu.Unlock()
		return
	}
	g.closed = true
	started := g.started
	g.mu.Unlock()
	if started {
		close(g.quit)
		<-g.done
	}
}

// coverage describes the heartbeats between from and to (wall times).
type coverage struct {
	vehicles int           // vehicles the observer is a ground station for
	beats    int           // heartbeats sent in [from, to]
	maxGap   time.Duration // longest stretch of [from, to] without a heartbeat
	silenced bool          // StopHeartbeats was called in [from, to], or it is silent now
}

// coverage reports on the heartbeats over [from, to]. A gap is measured
// from the last heartbeat before a point to the next one after it, so a
// window that starts long after the last heartbeat has a gap that long.
func (g *groundStation) coverage(from, to time.Time) coverage {
	g.mu.Lock()
	defer g.mu.Unlock()
	c := coverage{vehicles: len(g.dsts), silenced: g.silent}
	for _, s := range g.silences {
		if !s.Before(from) && !s.After(to) {
			c.silenced = true
		}
	}
	var last time.Time // the latest heartbeat so far, at or before the point considered
	for _, b := range g.beats {
		if b.After(to) {
			break
		}
		if !b.Before(from) {
			c.beats++
			start := last
			if start.IsZero() {
				start = from // nothing earlier: the window starts uncovered
			}
			c.maxGap = max(c.maxGap, b.Sub(start))
		}
		last = b
	}
	if last.IsZero() {
		c.maxGap = to.Sub(from)
	} else {
		c.maxGap = max(c.maxGap, to.Sub(last))
	}
	return c
}
