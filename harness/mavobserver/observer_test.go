package mavobserver_test

import (
	"bufio"
	"bytes"
	"context"
	"math"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/bluenviron/gomavlib/v3"
	"github.com/bluenviron/gomavlib/v3/pkg/dialect"
	"github.com/bluenviron/gomavlib/v3/pkg/dialects/common"
	"github.com/bluenviron/gomavlib/v3/pkg/frame"

	"github.com/wasmbed/wasmbed/harness/mavobserver"
	"github.com/wasmbed/wasmbed/harness/px4sim"
)

const waitTimeout = 20 * time.Second

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), waitTimeout)
	t.Cleanup(cancel)
	return c
}

// commander is a stand-in for the system under test: a gomavlib UDP
// client on a vehicle link that sends commands and waits for their acks.
type commander struct {
	t    *testing.T
	node *gomavlib.Node
	acks chan *common.MessageCommandAck
	done chan struct{}
}

func newCommander(t *testing.T, vehicle *net.UDPAddr, heartbeatType int) *commander {
	t.Helper()
	node := &gomavlib.Node{
		Endpoints:              []gomavlib.EndpointConf{gomavlib.EndpointUDPClient{Address: vehicle.String()}},
		Dialect:                common.Dialect,
		OutVersion:             gomavlib.V2,
		OutSystemID:            245,
		HeartbeatDisable:       heartbeatType == 0,
		HeartbeatSystemType:    heartbeatType,
		HeartbeatAutopilotType: int(common.MAV_AUTOPILOT_INVALID),
		HeartbeatPeriod:        50 * time.Millisecond,
	}
	if err := node.Initialize(); err != nil {
		t.Fatal(err)
	}
	c := &commander{t: t, node: node, acks: make(chan *common.MessageCommandAck, 64), done: make(chan struct{})}
	open := make(chan struct{})
	go func() {
		defer close(c.done)
		opened := false
		for evt := range node.Events() {
			switch e := evt.(type) {
			case *gomavlib.EventChannelOpen:
				if !opened {
					opened = true
					close(open)
				}
			case *gomavlib.EventFrame:
				if a, ok := e.Frame.GetMessage().(*common.MessageCommandAck); ok {
					select {
					case c.acks <- a:
					default:
					}
				}
			}
		}
	}()
	select {
	case <-open:
	case <-time.After(waitTimeout):
		t.Fatal("commander channel did not open")
	}
	t.Cleanup(c.close)
	return c
}

func (c *commander) close() {
	select {
	case <-c.done:
	default:
		c.node.Close()
		<-c.done
	}
}

// command sends a COMMAND_LONG to system 1 and returns the last result of
// n acks for it.
func (c *commander) command(cmd common.MAV_CMD, n int, p ...float32) common.MAV_RESULT {
	c.t.Helper()
	var a [7]float32
	copy(a[:], p)
	if err := c.node.WriteMessageAll(&common.MessageCommandLong{TargetSystem: 1, TargetComponent: 1, Command: cmd,
		Param1: a[0], Param2: a[1], Param3: a[2], Param4: a[3], Param5: a[4], Param6: a[5], Param7: a[6]}); err != nil {
		c.t.Fatal(err)
	}
	timeout := time.After(waitTimeout)
	var last common.MAV_RESULT
	for got := 0; got < n; {
		select {
		case ack := <-c.acks:
			if ack.Command == cmd {
				last = ack.Result
				got++
			}
		case <-timeout:
			c.t.Fatalf("no ack for %v", cmd)
		}
	}
	return last
}

// startSim starts a simulator whose GCS link sends to gcsRemote.
func startSim(t *testing.T, gcsRemote string, mutate func(*px4sim.Config)) *px4sim.Sim {
	t.Helper()
	cfg := px4sim.Config{
		SpeedFactor: 20,
		ReadyDelay:  time.Second,
		GCS:         px4sim.LinkConfig{Bind: "127.0.0.1:0", Remote: gcsRemote},
		API:         px4sim.LinkConfig{Bind: "127.0.0.1:0", Remote: px4sim.NoRemote},
	}
	if mutate != nil {
		mutate(&cfg)
	}
	sim, err := px4sim.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := sim.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close() })
	return sim
}

func newObserver(t *testing.T, cfg mavobserver.Config) *mavobserver.Observer {
	t.Helper()
	o, err := mavobserver.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { o.Close() })
	return o
}

// groundStation starts an observer that is a ground station, at one
// heartbeat per vehicle second, on the GCS link of a simulator running at
// speed.
func groundStation(t *testing.T, speed float64, mutate func(*px4sim.Config)) (*mavobserver.Observer, *px4sim.Sim) {
	t.Helper()
	obs := newObserver(t, mavobserver.Config{HeartbeatPeriod: time.Duration(float64(time.Second) / speed)})
	sim := startSim(t, obs.Addr().String(), func(c *px4sim.Config) {
		c.SpeedFactor = speed
		if mutate != nil {
			mutate(c)
		}
	})
	if err := obs.AddVehicle(sim.GCSAddr().String()); err != nil {
		t.Fatal(err)
	}
	return obs, sim
}

// readyVehicle is groundStation at speed 20, once the vehicle is ready to
// arm, with a commander (the system under test's stand-in, sending no
// heartbeats) on its API link.
func readyVehicle(t *testing.T) (*mavobserver.Observer, context.Context, *commander) {
	t.Helper()
	obs, sim := groundStation(t, 20, nil)
	c := ctx(t)
	if _, err := obs.WaitFor(c, 1, func(v mavobserver.Vehicle) bool { return v.ReadyToArm }); err != nil {
		t.Fatal(err)
	}
	return obs, c, newCommander(t, sim.APIAddr(), 0)
}

func TestObserverFollowsAFlightInVehicleTime(t *testing.T) {
	t.Parallel()
	obs, sim := groundStation(t, 20, nil)
	c := ctx(t)

	v, err := obs.WaitFor(c, 1, func(v mavobserver.Vehicle) bool {
		return v.ReadyToArm && v.HasHome && v.HasLandedState && v.BatteryRemaining >= 0
	})
	if err != nil {
		t.Fatal(err)
	}
	if v.Mode != "AUTO.LOITER" || v.Armed || v.LandedState != mavobserver.LandedOnGround || v.BatteryRemaining != 100 {
		t.Errorf("on the ground: mode %q armed %v landed %v battery %d", v.Mode, v.Armed, v.LandedState, v.BatteryRemaining)
	}
	if math.Abs(v.HomeAlt-px4sim.DefaultHome.Alt) > 0.3 || math.Abs(v.AltAMSL-px4sim.DefaultHome.Alt) > 0.5 {
		t.Errorf("home alt %.2f, alt %.2f", v.HomeAlt, v.AltAMSL)
	}

	rec := obs.Record(1)
	api := newCommander(t, sim.APIAddr(), 0)
	if r := api.command(common.MAV_CMD_COMPONENT_ARM_DISARM, 1, 1); r != common.MAV_RESULT_ACCEPTED {
		t.Fatalf("arm: %v", r)
	}
	v, err = obs.WaitFor(c, 1, func(v mavobserver.Vehicle) bool { return v.Armed && v.HasText("Armed by") })
	if err != nil {
		t.Fatal(err)
	}
	armHome := v.AltAMSL - v.AltRel
	nan := float32(math.NaN())
	api.command(common.MAV_CMD_NAV_TAKEOFF, 1, 0, 0, 0, nan, nan, nan, float32(armHome+8))
	// PX4 holds 8 m above the arming home; home moved at the take-off, so
	// the relative altitude reads a little more (fact 5).
	v, err = obs.WaitFor(c, 1, func(v mavobserver.Vehicle) bool {
		return v.Mode == "AUTO.LOITER" && v.Armed && math.Abs(v.AltAMSL-(armHome+8)) < 0.2 && v.LandedState == mavobserver.LandedInAir
	})
	if err != nil {
		t.Fatal(err)
	}
	hoverFrom := v.TimeBoot
	if _, err := obs.WaitFor(c, 1, func(v mavobserver.Vehicle) bool { return v.TimeBoot >= hoverFrom+6*time.Second }); err != nil {
		t.Fatal(err)
	}
	seq := v.TextCount
	api.command(common.MAV_CMD_NAV_LAND, 1)
	if _, err := obs.WaitText(c, 1, "Disarmed by landing", seq); err != nil {
		t.Fatal(err)
	}
	v, err = obs.WaitFor(c, 1, func(v mavobserver.Vehicle) bool { return !v.Armed && v.LandedState == mavobserver.LandedOnGround })
	if err != nil {
		t.Fatal(err)
	}
	rec.Stop()

	if m := rec.MaxAltRel(); m < 7.9 || m > 8.8 {
		t.Errorf("max altitude %.2f, want 8 m plus the take-off home's drop", m)
	}
	if near := rec.TimeAltRelWithin(7.8, 8.8); near < 6*time.Second || near > 12*time.Second {
		t.Errorf("time at 8 m: %v, want the 6+ s hover", near)
	}
	// Climbing 8 m at 0.7 m/s takes about 11.4 s of vehicle time, whatever
	// the speed factor.
	if climb := rec.TimeInMode("AUTO.TAKEOFF"); climb < 9*time.Second || climb > 13*time.Second {
		t.Errorf("time in AUTO.TAKEOFF %v, want about 11 s", climb)
	}
	if v.BatteryRemaining >= 100 {
		t.Errorf("battery still at %d%% after a flight", v.BatteryRemaining)
	}
	if vs := obs.Vehicles(); len(vs) != 1 || vs[0].SystemID != 1 {
		t.Errorf("vehicles %+v", vs)
	}
	// The observer was a ground station on the GCS link.
	if st := sim.GCSStats(); st.Received == 0 {
		t.Error("the vehicle's GCS link heard nothing from the observer")
	}
}

// Fact 1: the observer sees readiness as SYS_STATUS's pre-arm bit.
func TestObserverSeesReadinessAsThePrearmBit(t *testing.T) {
	t.Parallel()
	obs, sim := groundStation(t, 20, nil)
	c := ctx(t)
	v, err := obs.WaitFor(c, 1, func(v mavobserver.Vehicle) bool { return v.HasSysStatus })
	if err != nil {
		t.Fatal(err)
	}
	if v.ReadyToArm && v.TimeBoot < time.Second {
		t.Errorf("ready at %v, before the estimator converged (1 s)", v.TimeBoot)
	}
	if _, err := obs.WaitFor(c, 1, func(v mavobserver.Vehicle) bool { return v.ReadyToArm }); err != nil {
		t.Fatal(err)
	}
	api := newCommander(t, sim.APIAddr(), 0)
	api.command(common.MAV_CMD_DO_SET_MODE, 2, 1, 1) // MANUAL: no RC, so the checks fail
	if _, err := obs.WaitFor(c, 1, func(v mavobserver.Vehicle) bool { return v.Mode == "MANUAL" && !v.ReadyToArm }); err != nil {
		t.Fatal(err)
	}
}

func TestObserverReassemblesLongStatusTexts(t *testing.T) {
	t.Parallel()
	obs, c, api := readyVehicle(t)
	api.command(common.MAV_CMD_DO_SET_MODE, 2, 1, 3) // POSCTL
	if _, err := obs.WaitFor(c, 1, func(v mavobserver.Vehicle) bool { return v.Mode == "POSCTL" }); err != nil {
		t.Fatal(err)
	}
	api.command(common.MAV_CMD_COMPONENT_ARM_DISARM, 1, 1)
	st, err := obs.WaitText(c, 1, "Arming denied", 0)
	if err != nil {
		t.Fatal(err)
	}
	// Two chunks, kept as sent: PX4's trailing tab included (fact 4).
	if st.Text != "Arming denied: Resolve system health failures first\t" || st.Severity != uint8(common.MAV_SEVERITY_CRITICAL) {
		t.Errorf("text %q severity %d", st.Text, st.Severity)
	}
}

// Fact 3: acks go to the commanding link only, so the observer sees what
// the vehicle did, never the ack.
func TestObserverSeesTheOutcomeNotTheAck(t *testing.T) {
	t.Parallel()
	obs, c, api := readyVehicle(t)
	if r := api.command(common.MAV_CMD_COMPONENT_ARM_DISARM, 1, 1); r != common.MAV_RESULT_ACCEPTED {
		t.Fatalf("arm: %v", r)
	}
	v, err := obs.WaitFor(c, 1, func(v mavobserver.Vehicle) bool { return v.Armed })
	if err != nil {
		t.Fatal(err)
	}
	at := v.TimeBoot
	v, err = obs.WaitFor(c, 1, func(v mavobserver.Vehicle) bool { return v.TimeBoot > at+2*time.Second })
	if err != nil {
		t.Fatal(err)
	}
	if n := v.MessageCounts[77]; n != 0 {
		t.Errorf("the observer received %d COMMAND_ACKs for another link's command", n)
	}
}

// readFrames decodes the MAVLink frames of one datagram.
func readFrames(t *testing.T, pkt []byte) []frame.Frame {
	drw := &dialect.ReadWriter{Dialect: common.Dialect}
	if err := drw.Initialize(); err != nil {
		t.Fatal(err)
	}
	r := &frame.Reader{BufByteReader: bufio.NewReader(bytes.NewReader(pkt)), DialectRW: drw}
	if err := r.Initialize(); err != nil {
		t.Fatal(err)
	}
	var out []frame.Frame
	for {
		fr, err := r.Read()
		if err != nil {
			return out
		}
		out = append(out, fr)
	}
}

// heartbeats reads n datagrams from conn, each a ground station's
// heartbeat from the observer.
func heartbeats(t *testing.T, conn *net.UDPConn, n int) {
	t.Helper()
	buf := make([]byte, 2048)
	for seen := 0; seen < n; {
		conn.SetReadDeadline(time.Now().Add(waitTimeout))
		k, _, err := conn.ReadFromUDP(buf)
		if err != nil {
			t.Fatal(err)
		}
		for _, fr := range readFrames(t, buf[:k]) {
			hb, ok := fr.GetMessage().(*common.MessageHeartbeat)
			if !ok {
				t.Fatalf("observer sent %T", fr.GetMessage())
			}
			if hb.Type != common.MAV_TYPE_GCS || hb.Autopilot != common.MAV_AUTOPILOT_INVALID || fr.GetSystemID() != 255 || fr.GetComponentID() != 190 {
				t.Fatalf("observer heartbeat type %v autopilot %v from %d/%d", hb.Type, hb.Autopilot, fr.GetSystemID(), fr.GetComponentID())
			}
			seen++
		}
	}
}

func TestObserverIsAGroundStationForEveryVehicleItIsGiven(t *testing.T) {
	t.Parallel()
	listen := func() *net.UDPConn {
		c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	first, second := listen(), listen()
	obs := newObserver(t, mavobserver.Config{Vehicles: []string{first.LocalAddr().String()}, HeartbeatPeriod: 10 * time.Millisecond})
	heartbeats(t, first, 3)
	if err := obs.AddVehicle(second.LocalAddr().String()); err != nil {
		t.Fatal(err)
	}
	heartbeats(t, second, 3)
	heartbeats(t, first, 3)
	if err := obs.AddVehicle("not an address"); err == nil {
		t.Error("a bad vehicle address was accepted")
	}
}

// Fact 2 turned round: a ground station's heartbeats count for PX4's
// data-link check on any link, so the observer masks a data-link loss
// until it stops them, and then hears none of what the vehicle says about
// it.
func TestObserverMasksDataLinkLossUntilItStopsItsHeartbeats(t *testing.T) {
	t.Parallel()
	// COM_DL_LOSS_T must exceed PX4's 2.5 s text gate for the loss to go
	// unheard (with PX4's default, 10 s, it always does).
	obs, sim := groundStation(t, 10, func(c *px4sim.Config) {
		c.Failsafe = px4sim.FailsafeConfig{DataLinkLossAction: px4sim.FailsafeLand, DataLinkLossTimeout: 3 * time.Second, ActionDelay: -1}
	})
	c := ctx(t)
	// The ground station under test on the API link.
	gcs := newCommander(t, sim.APIAddr(), int(common.MAV_TYPE_GCS))
	if _, err := obs.WaitFor(c, 1, func(v mavobserver.Vehicle) bool { return v.ReadyToArm }); err != nil {
		t.Fatal(err)
	}
	gcs.command(common.MAV_CMD_COMPONENT_ARM_DISARM, 1, 1)
	nan := float32(math.NaN())
	gcs.command(common.MAV_CMD_NAV_TAKEOFF, 1, 0, 0, 0, nan, nan, nan, float32(px4sim.DefaultHome.Alt+5))
	v, err := obs.WaitFor(c, 1, func(v mavobserver.Vehicle) bool { return v.Mode == "AUTO.LOITER" && v.AltRel > 4.5 })
	if err != nil {
		t.Fatal(err)
	}
	gcs.close()
	mark := obs.MarkTexts(1)
	// Twice COM_DL_LOSS_T later the observer's heartbeats still hold the
	// vehicle's link up.
	at := v.TimeBoot
	v, err = obs.WaitFor(c, 1, func(v mavobserver.Vehicle) bool { return v.TimeBoot > at+6*time.Second })
	if err != nil {
		t.Fatal(err)
	}
	if v.Mode != "AUTO.LOITER" || v.SystemStatus != uint8(common.MAV_STATE_ACTIVE) {
		t.Fatalf("with the observer's heartbeats the vehicle went %s (status %d)", v.Mode, v.SystemStatus)
	}
	if err := obs.NotSaidSince(mark, "Connection to ground station lost"); err != nil {
		t.Fatal(err)
	}

	obs.StopHeartbeats()
	mark = obs.MarkTexts(1)
	v, err = obs.WaitFor(c, 1, func(v mavobserver.Vehicle) bool { return v.Mode == "AUTO.LAND" })
	if err != nil {
		t.Fatal(err)
	}
	if v.SystemStatus != uint8(common.MAV_STATE_CRITICAL) {
		t.Errorf("system status %d in the failsafe, want CRITICAL", v.SystemStatus)
	}
	// The vehicle said it lost its ground station, to nobody; the observer
	// must not claim it did not.
	if _, said := v.TextAfter("Connection to ground station lost", mark.Seq); said {
		t.Error("a silent observer heard the loss text")
	}
	if err := obs.NotSaidSince(mark, "Connection to ground station lost"); err == nil || !strings.Contains(err.Error(), "stopped") {
		t.Errorf("NotSaidSince after the heartbeats stopped: %v, want an error saying they stopped", err)
	}

	obs.StartHeartbeats()
	if _, err := obs.WaitText(c, 1, "GCS connection regained", mark.Seq); err != nil {
		t.Fatal(err)
	}
}

func TestNotSaidSinceFailsWhenItCouldNotHaveHeard(t *testing.T) {
	t.Parallel()
	c := ctx(t)
	// A passive observer: no vehicle to be a ground station for.
	passive := newObserver(t, mavobserver.Config{})
	sim := startSim(t, passive.Addr().String(), nil)
	if _, err := passive.WaitFor(c, 1, func(v mavobserver.Vehicle) bool { return v.ReadyToArm }); err != nil {
		t.Fatal(err)
	}
	mark := passive.MarkTexts(1)
	api := newCommander(t, sim.APIAddr(), 0)
	api.command(common.MAV_CMD_COMPONENT_ARM_DISARM, 1, 1)
	if _, err := passive.WaitFor(c, 1, func(v mavobserver.Vehicle) bool { return v.Armed }); err != nil {
		t.Fatal(err)
	}
	if err := passive.NotSaidSince(mark, "Armed by"); err == nil || !strings.Contains(err.Error(), "no ground station") {
		t.Errorf("a passive observer vouched that nothing was said: %v", err)
	}

	// A ground station hears it, and says so.
	obs, c, api := readyVehicle(t)
	mark = obs.MarkTexts(1)
	if err := obs.NotSaidSince(mark, "Armed by"); err == nil || !strings.Contains(err.Error(), "no STATUSTEXT has ever arrived") {
		t.Errorf("before any text arrived: %v", err)
	}
	api.command(common.MAV_CMD_COMPONENT_ARM_DISARM, 1, 1)
	if _, err := obs.WaitText(c, 1, "Armed by", mark.Seq); err != nil {
		t.Fatal(err)
	}
	if err := obs.NotSaidSince(mark, "Armed by"); err == nil || !strings.Contains(err.Error(), "said") {
		t.Errorf("NotSaidSince for a text that was said: %v", err)
	}
	mark = obs.MarkTexts(1)
	v, _ := obs.Vehicle(1)
	if _, err := obs.WaitFor(c, 1, func(s mavobserver.Vehicle) bool { return s.TimeBoot > v.TimeBoot+time.Second }); err != nil {
		t.Fatal(err)
	}
	if err := obs.NotSaidSince(mark, "Disarming denied"); err != nil {
		t.Errorf("a ground station that heard the vehicle throughout: %v", err)
	}
}

func TestPX4ModeNames(t *testing.T) {
	for cm, want := range map[uint32]string{
		0x03040000: "AUTO.LOITER", 0x02040000: "AUTO.TAKEOFF", 0x06040000: "AUTO.LAND", 0x05040000: "AUTO.RTL",
		0x04040000: "AUTO.MISSION", 0x00030000: "POSCTL", 0x00020000: "ALTCTL", 0x00010000: "MANUAL",
		0x00070000: "STABILIZED", 0x00060000: "OFFBOARD", 0x00090000: "UNKNOWN(0x00090000)",
	} {
		if got := mavobserver.PX4ModeName(cm); got != want {
			t.Errorf("%#x: %q, want %q", cm, got, want)
		}
	}
}

func TestWaitForEndsWhenClosed(t *testing.T) {
	t.Parallel()
	obs, err := mavobserver.New(mavobserver.Config{})
	if err != nil {
		t.Fatal(err)
	}
	errc := make(chan error, 1)
	go func() {
		_, err := obs.WaitFor(context.Background(), 7, func(mavobserver.Vehicle) bool { return false })
		errc <- err
	}()
	obs.Close()
	select {
	case err := <-errc:
		if err != mavobserver.ErrClosed {
			t.Errorf("WaitFor after Close: %v", err)
		}
	case <-time.After(waitTimeout):
		t.Fatal("WaitFor did not return after Close")
	}
}
