package mavobserver_test

import (
	"bufio"
	"bytes"
	"context"
	"math"
	"net"
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

func TestObserverFollowsAFlightInVehicleTime(t *testing.T) {
	t.Parallel()
	obs := newObserver(t, mavobserver.Config{})
	sim := startSim(t, obs.Addr().String(), nil)
	c := ctx(t)

	v, err := obs.WaitFor(c, 1, func(v mavobserver.Vehicle) bool {
		return v.HasText("Ready for takeoff") && v.HasHome && v.HasLandedState && v.BatteryRemaining >= 0
	})
	if err != nil {
		t.Fatal(err)
	}
	if v.Mode != "AUTO.LOITER" || v.Armed || v.LandedState != mavobserver.LandedOnGround || v.BatteryRemaining != 100 {
		t.Errorf("on the ground: mode %q armed %v landed %v battery %d", v.Mode, v.Armed, v.LandedState, v.BatteryRemaining)
	}
	if math.Abs(v.HomeAlt-px4sim.DefaultHome.Alt) > 0.01 || math.Abs(v.AltAMSL-px4sim.DefaultHome.Alt) > 0.2 {
		t.Errorf("home alt %.2f, alt %.2f", v.HomeAlt, v.AltAMSL)
	}

	rec := obs.Record(1)
	api := newCommander(t, sim.APIAddr(), 0)
	if r := api.command(common.MAV_CMD_COMPONENT_ARM_DISARM, 1, 1); r != common.MAV_RESULT_ACCEPTED {
		t.Fatalf("arm: %v", r)
	}
	nan := float32(math.NaN())
	api.command(common.MAV_CMD_NAV_TAKEOFF, 1, 0, 0, 0, nan, nan, nan, float32(px4sim.DefaultHome.Alt+8))
	v, err = obs.WaitFor(c, 1, func(v mavobserver.Vehicle) bool {
		return v.Mode == "AUTO.LOITER" && v.Armed && math.Abs(v.AltRel-8) < 0.3 && v.LandedState == mavobserver.LandedInAir
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

	if m := rec.MaxAltRel(); math.Abs(m-8) > 0.3 {
		t.Errorf("max altitude %.2f, want 8", m)
	}
	if near := rec.TimeNearAltRel(8, 0.5); near < 6*time.Second || near > 12*time.Second {
		t.Errorf("time within 0.5 m of 8 m: %v, want the 6+ s hover", near)
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
	// A passive observer sent nothing to the vehicle.
	if st := sim.GCSStats(); st.Received != 0 {
		t.Errorf("the vehicle's GCS link received %d datagrams from a passive observer", st.Received)
	}
}

func TestObserverReassemblesLongStatusTexts(t *testing.T) {
	t.Parallel()
	obs := newObserver(t, mavobserver.Config{})
	sim := startSim(t, obs.Addr().String(), nil)
	c := ctx(t)
	if _, err := obs.WaitText(c, 1, "Ready for takeoff", 0); err != nil {
		t.Fatal(err)
	}
	api := newCommander(t, sim.APIAddr(), 0)
	api.command(common.MAV_CMD_DO_SET_MODE, 2, 1, 3) // POSCTL
	if _, err := obs.WaitFor(c, 1, func(v mavobserver.Vehicle) bool { return v.Mode == "POSCTL" }); err != nil {
		t.Fatal(err)
	}
	api.command(common.MAV_CMD_COMPONENT_ARM_DISARM, 1, 1)
	st, err := obs.WaitText(c, 1, "Arming denied", 0)
	if err != nil {
		t.Fatal(err)
	}
	if st.Text != "Arming denied: Resolve system health failures first" || st.Severity != uint8(common.MAV_SEVERITY_CRITICAL) {
		t.Errorf("text %q severity %d", st.Text, st.Severity)
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

func TestAnnouncingObserverSendsOnlyOnboardControllerHeartbeats(t *testing.T) {
	t.Parallel()
	fakeVehicle, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer fakeVehicle.Close()
	newObserver(t, mavobserver.Config{Vehicle: fakeVehicle.LocalAddr().String(), HeartbeatPeriod: 10 * time.Millisecond})
	buf := make([]byte, 2048)
	for seen := 0; seen < 3; {
		fakeVehicle.SetReadDeadline(time.Now().Add(waitTimeout))
		n, _, err := fakeVehicle.ReadFromUDP(buf)
		if err != nil {
			t.Fatal(err)
		}
		for _, fr := range readFrames(t, buf[:n]) {
			hb, ok := fr.GetMessage().(*common.MessageHeartbeat)
			if !ok {
				t.Fatalf("observer sent %T", fr.GetMessage())
			}
			if hb.Type != common.MAV_TYPE_ONBOARD_CONTROLLER || hb.Autopilot != common.MAV_AUTOPILOT_INVALID {
				t.Fatalf("observer heartbeat type %v autopilot %v", hb.Type, hb.Autopilot)
			}
			seen++
		}
	}
}

func TestAnnouncingObserverDoesNotMaskDataLinkLoss(t *testing.T) {
	t.Parallel()
	sim := startSim(t, px4sim.NoRemote, func(c *px4sim.Config) {
		c.SpeedFactor = 10
		c.Failsafe = px4sim.FailsafeConfig{DataLinkLossAction: px4sim.FailsafeLand, DataLinkLossTimeout: 2 * time.Second, ActionDelay: -1}
	})
	// The observer has the GCS link to itself, so it may announce itself.
	obs := newObserver(t, mavobserver.Config{Vehicle: sim.GCSAddr().String(), HeartbeatPeriod: 20 * time.Millisecond})
	c := ctx(t)
	// Telemetry arriving means the GCS link has latched the observer.
	if _, err := obs.WaitFor(c, 1, func(v mavobserver.Vehicle) bool { return v.Heartbeats > 0 }); err != nil {
		t.Fatal(err)
	}
	// The ground station (the system under test) on the API link.
	gcs := newCommander(t, sim.APIAddr(), int(common.MAV_TYPE_GCS))
	if _, err := obs.WaitText(c, 1, "Ready for takeoff", 0); err != nil {
		t.Fatal(err)
	}
	gcs.command(common.MAV_CMD_COMPONENT_ARM_DISARM, 1, 1)
	nan := float32(math.NaN())
	gcs.command(common.MAV_CMD_NAV_TAKEOFF, 1, 0, 0, 0, nan, nan, nan, float32(px4sim.DefaultHome.Alt+5))
	v, err := obs.WaitFor(c, 1, func(v mavobserver.Vehicle) bool { return v.Mode == "AUTO.LOITER" && v.AltRel > 4.5 })
	if err != nil {
		t.Fatal(err)
	}
	gcs.close() // link lost; the observer keeps sending its heartbeats
	if _, err := obs.WaitText(c, 1, "Failsafe activated", v.TextCount); err != nil {
		t.Fatal(err)
	}
	if _, err := obs.WaitFor(c, 1, func(v mavobserver.Vehicle) bool { return v.Mode == "AUTO.LAND" || !v.Armed }); err != nil {
		t.Fatal(err)
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
