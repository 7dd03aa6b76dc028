package px4sim_test

import (
	"math"
	"net"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bluenviron/gomavlib/v3"
	"github.com/bluenviron/gomavlib/v3/pkg/dialects/common"
	"github.com/bluenviron/gomavlib/v3/pkg/frame"
	"github.com/bluenviron/gomavlib/v3/pkg/message"

	"github.com/wasmbed/wasmbed/harness/px4sim"
)

// waitTimeout bounds every wait in wall time; the conditions themselves
// are expressed in vehicle time where timing matters.
const waitTimeout = 20 * time.Second

// udpPeer adapts a UDP socket to the io.ReadWriteCloser gomavlib's custom
// endpoint wants: reads take datagrams from anyone, writes go to dst.
type udpPeer struct {
	conn *net.UDPConn
	dst  *net.UDPAddr
}

func (u *udpPeer) Read(p []byte) (int, error) {
	n, _, err := u.conn.ReadFromUDP(p)
	return n, err
}

func (u *udpPeer) Write(p []byte) (int, error) {
	if u.dst == nil {
		return len(p), nil
	}
	return u.conn.WriteToUDP(p, u.dst)
}

func (u *udpPeer) Close() error { return u.conn.Close() }

// received is a frame with the vehicle time (the last time_boot_ms seen
// on the link) and wall time it arrived at.
type received struct {
	fr    frame.Frame
	vtime time.Duration
	wall  time.Time
}

// client is a gomavlib node on one simulator link, recording everything
// it receives.
type client struct {
	t     *testing.T
	conn  *net.UDPConn
	peer  *udpPeer
	node  *gomavlib.Node
	sysid uint8
	done  chan struct{}
	open  chan struct{} // closed when gomavlib's channel is up: writes before it are lost

	mu     sync.Mutex
	frames []received
	texts  []text // STATUSTEXTs reassembled from their chunks
	chunks map[[2]uint16]string
	vtime  time.Duration
	notify chan struct{}
}

// text is a complete STATUSTEXT.
type text struct {
	received
	text  string
	index int // of the frame that completed it
}

// listenLoopback binds an ephemeral loopback UDP socket.
func listenLoopback(t *testing.T) *net.UDPConn {
	t.Helper()
	conn, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	return conn
}

type clientOpts struct {
	sysid         uint8
	heartbeatType int // 0: no automatic heartbeats
	heartbeatHz   float64
}

// newClient starts a gomavlib node on conn that sends to dst (nil: only
// listens).
func newClient(t *testing.T, conn *net.UDPConn, dst *net.UDPAddr, o clientOpts) *client {
	t.Helper()
	if o.sysid == 0 {
		o.sysid = 255
	}
	peer := &udpPeer{conn: conn, dst: dst}
	node := &gomavlib.Node{
		Endpoints:   []gomavlib.EndpointConf{gomavlib.EndpointCustom{ReadWriteCloser: peer}},
		Dialect:     common.Dialect,
		OutVersion:  gomavlib.V2,
		OutSystemID: o.sysid,
		// gomavlib's own heartbeats are GCS heartbeats; tests opt in.
		HeartbeatDisable:       o.heartbeatType == 0,
		HeartbeatSystemType:    o.heartbeatType,
		HeartbeatAutopilotType: int(common.MAV_AUTOPILOT_INVALID),
	}
	if o.heartbeatHz > 0 {
		node.HeartbeatPeriod = time.Duration(float64(time.Second) / o.heartbeatHz)
	}
	if err := node.Initialize(); err != nil {
		t.Fatal(err)
	}
	c := &client{t: t, conn: conn, peer: peer, node: node, sysid: o.sysid, done: make(chan struct{}), open: make(chan struct{}), notify: make(chan struct{})}
	go c.loop()
	t.Cleanup(c.close)
	select {
	case <-c.open:
	case <-time.After(waitTimeout):
		t.Fatal("gomavlib channel did not open")
	}
	return c
}

func (c *client) close() {
	select {
	case <-c.done:
		return
	default:
	}
	c.node.Close()
	<-c.done
}

func (c *client) loop() {
	defer close(c.done)
	opened := false
	for evt := range c.node.Events() {
		if _, ok := evt.(*gomavlib.EventChannelOpen); ok && !opened {
			opened = true
			close(c.open)
		}
		ef, ok := evt.(*gomavlib.EventFrame)
		if !ok {
			continue
		}
		c.mu.Lock()
		if ms, ok := timeBootMs(ef.Frame.GetMessage()); ok {
			c.vtime = time.Duration(ms) * time.Millisecond
		}
		r := received{fr: ef.Frame, vtime: c.vtime, wall: time.Now()}
		c.frames = append(c.frames, r)
		if st, ok := ef.Frame.GetMessage().(*common.MessageStatustext); ok {
			c.addText(r, st)
		}
		close(c.notify)
		c.notify = make(chan struct{})
		c.mu.Unlock()
	}
}

// addText reassembles STATUSTEXTs: a chunk shorter than the 50-byte
// field ends its text. The text is kept as sent, trailing tab included.
func (c *client) addText(r received, st *common.MessageStatustext) {
	if c.chunks == nil {
		c.chunks = map[[2]uint16]string{}
	}
	key := [2]uint16{uint16(r.fr.GetSystemID()), st.Id}
	if st.ChunkSeq == 0 {
		delete(c.chunks, key)
	}
	full := c.chunks[key] + st.Text
	if len(st.Text) == 50 {
		c.chunks[key] = full
		return
	}
	delete(c.chunks, key)
	c.texts = append(c.texts, text{received: r, text: full, index: len(c.frames) - 1})
}

// timeBootMs extracts time_boot_ms from messages that carry it.
func timeBootMs(msg message.Message) (uint32, bool) {
	v := reflect.ValueOf(msg)
	if v.Kind() != reflect.Pointer || v.Elem().Kind() != reflect.Struct {
		return 0, false
	}
	f := v.Elem().FieldByName("TimeBootMs")
	if !f.IsValid() {
		return 0, false
	}
	return uint32(f.Uint()), true
}

// cursor is the index of the next frame to arrive.
func (c *client) cursor() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.frames)
}

// vehicleTime is the latest time_boot_ms seen.
func (c *client) vehicleTime() time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.vtime
}

// snapshot returns the frames received so far.
func (c *client) snapshot() []received {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]received(nil), c.frames...)
}

// waitFor returns the first frame at or after index from that satisfies
// pred, and the index after it; it fails the test after waitTimeout.
func (c *client) waitFor(from int, what string, pred func(received) bool) (received, int) {
	c.t.Helper()
	deadline := time.NewTimer(waitTimeout)
	defer deadline.Stop()
	for {
		c.mu.Lock()
		for i := from; i < len(c.frames); i++ {
			if pred(c.frames[i]) {
				r := c.frames[i]
				c.mu.Unlock()
				return r, i + 1
			}
		}
		from = len(c.frames)
		notify := c.notify
		c.mu.Unlock()
		select {
		case <-notify:
		case <-deadline.C:
			c.t.Fatalf("timed out waiting for %s (vehicle time %v)", what, c.vehicleTime())
		}
	}
}

// waitVehicleTime waits until the vehicle's clock passes t.
func (c *client) waitVehicleTime(t time.Duration) {
	c.t.Helper()
	c.waitFor(0, "vehicle time "+t.String(), func(r received) bool { return r.vtime >= t })
}

func (c *client) send(msg message.Message) {
	c.t.Helper()
	if err := c.node.WriteMessageAll(msg); err != nil {
		c.t.Fatal(err)
	}
}

// commandLong sends a COMMAND_LONG to target and returns the results of
// the next n COMMAND_ACKs for it that this client receives.
func (c *client) commandLong(target uint8, cmd common.MAV_CMD, n int, params ...float32) []common.MAV_RESULT {
	c.t.Helper()
	var p [7]float32
	copy(p[:], params)
	from := c.cursor()
	c.send(&common.MessageCommandLong{
		TargetSystem: target, TargetComponent: 1, Command: cmd,
		Param1: p[0], Param2: p[1], Param3: p[2], Param4: p[3], Param5: p[4], Param6: p[5], Param7: p[6],
	})
	return c.acks(from, cmd, n)
}

// acks waits for n COMMAND_ACKs for cmd after from.
func (c *client) acks(from int, cmd common.MAV_CMD, n int) []common.MAV_RESULT {
	c.t.Helper()
	var out []common.MAV_RESULT
	for len(out) < n {
		r, next := c.waitFor(from, "COMMAND_ACK "+cmd.String(), func(r received) bool {
			a, ok := r.fr.GetMessage().(*common.MessageCommandAck)
			return ok && a.Command == cmd
		})
		out = append(out, r.fr.GetMessage().(*common.MessageCommandAck).Result)
		from = next
	}
	return out
}

// heartbeatFrom waits for a heartbeat from sysid satisfying pred.
func (c *client) heartbeatFrom(from int, sysid uint8, what string, pred func(*common.MessageHeartbeat) bool) (*common.MessageHeartbeat, int) {
	c.t.Helper()
	r, next := c.waitFor(from, what, func(r received) bool {
		hb, ok := r.fr.GetMessage().(*common.MessageHeartbeat)
		return ok && r.fr.GetSystemID() == sysid && pred(hb)
	})
	return r.fr.GetMessage().(*common.MessageHeartbeat), next
}

// waitMode waits for a heartbeat in mode m from sysid.
func (c *client) waitMode(from int, sysid uint8, m px4sim.Mode) (*common.MessageHeartbeat, int) {
	c.t.Helper()
	return c.heartbeatFrom(from, sysid, "mode "+m.String(), func(hb *common.MessageHeartbeat) bool {
		return hb.CustomMode == uint32(m)
	})
}

// waitArmed waits for a heartbeat with the given armed state.
func (c *client) waitArmed(from int, sysid uint8, armed bool) (*common.MessageHeartbeat, int) {
	c.t.Helper()
	return c.heartbeatFrom(from, sysid, "armed="+map[bool]string{true: "true", false: "false"}[armed], func(hb *common.MessageHeartbeat) bool {
		return (hb.BaseMode&common.MAV_MODE_FLAG_SAFETY_ARMED != 0) == armed
	})
}

// waitText waits for a complete STATUSTEXT containing s whose last
// chunk arrived at or after frame index from; it returns the text's last
// frame and the index after it.
func (c *client) waitText(from int, s string) (received, int) {
	c.t.Helper()
	return c.waitTextFrom(from, 0, s)
}

// waitTextFrom is waitText for texts from system sysid (0: any).
func (c *client) waitTextFrom(from int, sysid uint8, s string) (received, int) {
	c.t.Helper()
	deadline := time.NewTimer(waitTimeout)
	defer deadline.Stop()
	for {
		c.mu.Lock()
		for _, tx := range c.texts {
			if tx.index >= from && strings.Contains(tx.text, s) && (sysid == 0 || tx.fr.GetSystemID() == sysid) {
				c.mu.Unlock()
				return tx.received, tx.index + 1
			}
		}
		notify := c.notify
		c.mu.Unlock()
		select {
		case <-notify:
		case <-deadline.C:
			c.t.Fatalf("timed out waiting for STATUSTEXT %q (vehicle time %v)", s, c.vehicleTime())
		}
	}
}

// hasText reports whether a complete STATUSTEXT containing s has arrived.
func (c *client) hasText(s string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, tx := range c.texts {
		if strings.Contains(tx.text, s) {
			return true
		}
	}
	return false
}

// textCount is the number of complete STATUSTEXTs received.
func (c *client) textCount() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.texts)
}

// beatGCS sends one ground-station heartbeat.
func (c *client) beatGCS() {
	c.t.Helper()
	c.send(&common.MessageHeartbeat{Type: common.MAV_TYPE_GCS, Autopilot: common.MAV_AUTOPILOT_INVALID, MavlinkVersion: 3})
}

// ackCount counts the COMMAND_ACKs for cmd received at or after from.
func (c *client) ackCount(from int, cmd common.MAV_CMD) int {
	n := 0
	for _, r := range c.snapshot()[from:] {
		if a, ok := r.fr.GetMessage().(*common.MessageCommandAck); ok && a.Command == cmd {
			n++
		}
	}
	return n
}

// prearmReady reports whether a SYS_STATUS says the pre-arm checks pass
// (MAV_SYS_STATUS_PREARM_CHECK present, enabled and healthy): how a ground
// station sees PX4 ready (fact 1).
func prearmReady(r received) bool {
	s, ok := r.fr.GetMessage().(*common.MessageSysStatus)
	const bit = common.MAV_SYS_STATUS_PREARM_CHECK
	return ok && s.OnboardControlSensorsPresent&bit != 0 && s.OnboardControlSensorsEnabled&bit != 0 && s.OnboardControlSensorsHealth&bit != 0
}

// waitReady waits for the pre-arm bit from sysid and returns that frame
// and the index after it.
func (c *client) waitReady(from int, sysid uint8) (received, int) {
	c.t.Helper()
	return c.waitFor(from, "SYS_STATUS with the pre-arm checks passing", func(r received) bool {
		return r.fr.GetSystemID() == sysid && prearmReady(r)
	})
}

// waitGlobal waits for a GLOBAL_POSITION_INT satisfying pred.
func (c *client) waitGlobal(from int, what string, pred func(*common.MessageGlobalPositionInt) bool) (*common.MessageGlobalPositionInt, int) {
	c.t.Helper()
	r, next := c.waitFor(from, what, func(r received) bool {
		g, ok := r.fr.GetMessage().(*common.MessageGlobalPositionInt)
		return ok && pred(g)
	})
	return r.fr.GetMessage().(*common.MessageGlobalPositionInt), next
}

// fixture is a started simulator with a client on each link.
type fixture struct {
	sim *px4sim.Sim
	gcs *client // listens where the GCS link sends; sysid 255
	api *client // listens where the API link sends; sysid 245
}

// groundStation is a client that sends GCS heartbeats every 20 ms of wall
// time: at least one per vehicle second up to speed 50, so PX4 keeps
// sending it STATUSTEXTs (fact 2).
func groundStation(sysid uint8) clientOpts {
	return clientOpts{sysid: sysid, heartbeatType: int(common.MAV_TYPE_GCS), heartbeatHz: 50}
}

// start starts a simulator on ephemeral ports whose links send to two
// test clients, both ground stations.
func start(t *testing.T, speed float64, mutate func(*px4sim.Config)) *fixture {
	t.Helper()
	return startWith(t, speed, mutate, groundStation(255), groundStation(245))
}

// startWith is start with explicit options for the two clients.
func startWith(t *testing.T, speed float64, mutate func(*px4sim.Config), gcsOpts, apiOpts clientOpts) *fixture {
	t.Helper()
	gcsConn, apiConn := listenLoopback(t), listenLoopback(t)
	cfg := px4sim.Config{
		SpeedFactor: speed,
		Seed:        1,
		ReadyDelay:  time.Second, // keep boots short; the boot test checks PX4's
		GCS:         px4sim.LinkConfig{Bind: "127.0.0.1:0", Remote: gcsConn.LocalAddr().String()},
		API:         px4sim.LinkConfig{Bind: "127.0.0.1:0", Remote: apiConn.LocalAddr().String()},
	}
	if mutate != nil {
		mutate(&cfg)
	}
	sim, err := px4sim.New(cfg)
	if err != nil {
		gcsConn.Close()
		apiConn.Close()
		t.Fatal(err)
	}
	f := &fixture{
		sim: sim,
		gcs: newClient(t, gcsConn, sim.GCSAddr(), gcsOpts),
		api: newClient(t, apiConn, sim.APIAddr(), apiOpts),
	}
	if err := sim.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close() })
	return f
}

// ready waits until the pre-arm checks pass, as the API link's SYS_STATUS
// says (fact 1).
func (f *fixture) ready(t *testing.T) {
	t.Helper()
	f.api.waitReady(0, f.sim.SystemID())
}

// takeoff arms and takes off to rel metres above home, returning once the
// vehicle is holding there.
func (f *fixture) takeoff(t *testing.T, rel float64) {
	t.Helper()
	f.ready(t)
	sys := f.sim.SystemID()
	home := px4sim.DefaultHome.Alt
	if got := f.api.commandLong(sys, common.MAV_CMD_COMPONENT_ARM_DISARM, 1, 1); got[0] != common.MAV_RESULT_ACCEPTED {
		t.Fatalf("arm: %v", got)
	}
	from := f.api.cursor()
	if got := f.api.commandLong(sys, common.MAV_CMD_NAV_TAKEOFF, 1, 0, 0, 0, float32(math.NaN()), float32(math.NaN()), float32(math.NaN()), float32(home+rel)); got[0] != common.MAV_RESULT_ACCEPTED {
		t.Fatalf("takeoff: %v", got)
	}
	_, next := f.api.waitMode(from, sys, px4sim.ModeAutoTakeoff)
	_, next = f.api.waitMode(next, sys, px4sim.ModeAutoLoiter)
	// PX4 holds the commanded AMSL altitude in its estimate; the relative
	// altitude reads more, home having been reset at the take-off (fact 5).
	f.api.waitGlobal(next, "hover altitude", func(g *common.MessageGlobalPositionInt) bool {
		return math.Abs(float64(g.Alt)/1000-(home+rel)) < 0.3
	})
}
