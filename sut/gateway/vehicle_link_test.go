package gateway

import (
	"context"
	"log/slog"
	"math"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/wasmbed/wasmbed/firmware/abi"
	"github.com/wasmbed/wasmbed/harness/px4sim"
	"github.com/wasmbed/wasmbed/harness/udprelay"
)

// The link is tested against the PX4-faithful simulator: it must fly it
// through the same MAVLink surface a real PX4 offers.

const linkTestTimeout = 20 * time.Second

// recorder collects what a link delivers.
type recorder struct {
	mu      sync.Mutex
	samples []telemetrySample
	changed chan struct{}
}

func newRecorder() *recorder { return &recorder{changed: make(chan struct{})} }

func (r *recorder) deliver(topic string, payload []byte) {
	r.mu.Lock()
	r.samples = append(r.samples, telemetrySample{topic: topic, payload: append([]byte(nil), payload...)})
	close(r.changed)
	r.changed = make(chan struct{})
	r.mu.Unlock()
}

// waitFor waits until the latest sample of topic satisfies cond.
func (r *recorder) waitFor(t *testing.T, topic string, what string, cond func([]byte) bool) []byte {
	t.Helper()
	deadline := time.After(linkTestTimeout)
	for {
		r.mu.Lock()
		var last []byte
		for i := len(r.samples) - 1; i >= 0; i-- {
			if r.samples[i].topic == topic {
				last = r.samples[i].payload
				break
			}
		}
		ch := r.changed
		r.mu.Unlock()
		if last != nil && cond(last) {
			return last
		}
		select {
		case <-ch:
		case <-deadline:
			t.Fatalf("timed out waiting for %s on %s", what, topic)
		}
	}
}

func (r *recorder) count(topic string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, s := range r.samples {
		if s.topic == topic {
			n++
		}
	}
	return n
}

type linkFixture struct {
	sim  *px4sim.Sim
	link *vehicleLink
	rec  *recorder
	m    *vehicleMetrics
}

func newLinkFixture(t *testing.T, cfg px4sim.Config, via func(simAPI string) string) *linkFixture {
	t.Helper()
	cfg.GCS = px4sim.LinkConfig{Bind: "127.0.0.1:0", Remote: px4sim.NoRemote}
	cfg.API = px4sim.LinkConfig{Bind: "127.0.0.1:0", Remote: px4sim.NoRemote}
	if cfg.ReadyDelay == 0 {
		cfg.ReadyDelay = time.Second
	}
	sim, err := px4sim.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close() })
	if err := sim.Start(); err != nil {
		t.Fatal(err)
	}
	addr := sim.APIAddr().String()
	if via != nil {
		addr = via(addr)
	}
	rec := newRecorder()
	m := newVehicleMetrics(prometheus.NewRegistry())
	link, err := startVehicleLink(linkConfig{
		device: "d", endpoint: "udp://" + addr, sysid: sim.SystemID(), deliver: rec.deliver,
		log: slog.New(slog.DiscardHandler), metrics: m,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(link.close)
	return &linkFixture{sim: sim, link: link, rec: rec, m: m}
}

func (f *linkFixture) do(t *testing.T, command string, param float64, mode string) commandResult {
	t.Helper()
	mc, bad := f.link.translate(command, param, mode)
	if bad != nil {
		return *bad
	}
	ctx, cancel := context.WithTimeout(context.Background(), linkTestTimeout)
	defer cancel()
	return f.link.exec(ctx, mc)
}

func heartbeat(t *testing.T, p []byte) abi.Heartbeat {
	t.Helper()
	h, err := abi.DecodeHeartbeat(p)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func globalPos(t *testing.T, p []byte) abi.GlobalPosition {
	t.Helper()
	g, err := abi.DecodeGlobalPosition(p)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func TestLinkFliesTakeoffHoverLand(t *testing.T) {
	t.Parallel()
	f := newLinkFixture(t, px4sim.Config{SpeedFactor: 20}, nil)
	hb := heartbeat(t, f.rec.waitFor(t, abi.TopicVehicleHeartbeat, "a heartbeat", func([]byte) bool { return true }))
	if hb.Mode != "AUTO.LOITER" || hb.Armed || hb.SystemID != 1 || hb.Autopilot != 12 {
		t.Fatalf("boot heartbeat %+v", hb)
	}
	f.rec.waitFor(t, abi.TopicVehicleGlobalPosition, "a position", func([]byte) bool { return true })

	if r := f.do(t, abi.VehicleArm, 0, ""); r.result != abi.VehicleAccepted {
		t.Fatalf("arm: %+v", r)
	}
	if r := f.do(t, abi.VehicleTakeoff, 6, ""); r.result != abi.VehicleAccepted {
		t.Fatalf("takeoff: %+v", r)
	}
	// The altitude was relative to home: PX4 took the AMSL conversion.
	f.rec.waitFor(t, abi.TopicVehicleHeartbeat, "AUTO.LOITER after the take-off", func(p []byte) bool {
		h := heartbeat(t, p)
		return h.Armed && h.Mode == "AUTO.LOITER"
	})
	g := globalPos(t, f.rec.waitFor(t, abi.TopicVehicleGlobalPosition, "6 m above home", func(p []byte) bool {
		return math.Abs(float64(globalPos(t, p).RelativeAlt)-6) < 0.3
	}))
	if st := f.sim.State(); math.Abs(st.AltRel-6) > 0.5 {
		t.Errorf("the simulator is at %.2f m above home", st.AltRel)
	}
	if math.Abs(float64(g.AltAMSL)-float64(px4sim.DefaultHome.Alt)-6) > 0.5 {
		t.Errorf("AMSL %.2f", g.AltAMSL)
	}

	r := f.do(t, abi.VehicleDisarm, 0, "")
	if r.result != abi.VehicleTemporarilyRejected || !strings.Contains(r.message, "Disarming denied: not landed") {
		t.Errorf("disarm in the air: %+v", r)
	}
	if r := f.do(t, abi.VehicleLand, 0, ""); r.result != abi.VehicleAccepted {
		t.Fatalf("land: %+v", r)
	}
	f.rec.waitFor(t, abi.TopicVehicleLanded, "on the ground", func(p []byte) bool {
		l, _ := abi.DecodeLanded(p)
		return l.State == abi.LandedOnGround
	})
	f.rec.waitFor(t, abi.TopicVehicleHeartbeat, "disarmed after landing", func(p []byte) bool { return !heartbeat(t, p).Armed })
	f.rec.waitFor(t, abi.TopicVehicleStatusText, "Disarmed by landing", func(p []byte) bool {
		s, _ := abi.DecodeStatusText(p)
		return strings.Contains(s.Text, "Disarmed by") || strings.Contains(s.Text, "Landing detected")
	})
}

func TestLinkTrustsTheSecondSetModeAckAndExplainsADeniedArm(t *testing.T) {
	t.Parallel()
	f := newLinkFixture(t, px4sim.Config{SpeedFactor: 10}, nil)
	f.rec.waitFor(t, abi.TopicVehicleGlobalPosition, "a position", func([]byte) bool { return true })
	if r := f.do(t, abi.VehicleSetMode, 0, "manual"); r.result != abi.VehicleAccepted {
		t.Fatalf("set_mode MANUAL: %+v", r)
	}
	f.rec.waitFor(t, abi.TopicVehicleHeartbeat, "MANUAL", func(p []byte) bool { return heartbeat(t, p).Mode == "MANUAL" })
	r := f.do(t, abi.VehicleArm, 0, "")
	if r.result != abi.VehicleTemporarilyRejected || !strings.Contains(r.message, "Arming denied: Resolve system health failures first") {
		t.Fatalf("arm in MANUAL without RC: %+v", r)
	}
	if r := f.do(t, abi.VehicleSetMode, 0, "GUIDED"); r.result != abi.VehicleInvalid || !strings.Contains(r.message, "AUTO.LOITER") {
		t.Errorf("unknown mode: %+v", r)
	}
	if r := f.do(t, abi.VehicleTakeoff, -3, ""); r.result != abi.VehicleInvalid {
		t.Errorf("negative take-off altitude: %+v", r)
	}
	// While armed, PX4 refuses a mode it cannot run: the first ack says
	// ACCEPTED, the second TEMPORARILY_REJECTED, and the second counts.
	if r := f.do(t, abi.VehicleSetMode, 0, "AUTO.LOITER"); r.result != abi.VehicleAccepted {
		t.Fatalf("set_mode AUTO.LOITER: %+v", r)
	}
	if r := f.do(t, abi.VehicleArm, 0, ""); r.result != abi.VehicleAccepted {
		t.Fatalf("arm in AUTO.LOITER: %+v", r)
	}
	if r := f.do(t, abi.VehicleSetMode, 0, "POSCTL"); r.result != abi.VehicleTemporarilyRejected {
		t.Errorf("set_mode POSCTL while armed without RC: %+v (the first ACCEPTED must not be trusted)", r)
	}
}

func TestLinkNoticesLossAndKeepsThePX4LinkAsItsGCS(t *testing.T) {
	t.Parallel()
	var relay *udprelay.Relay
	f := newLinkFixture(t, px4sim.Config{
		SpeedFactor: 5,
		Failsafe:    px4sim.FailsafeConfig{DataLinkLossAction: px4sim.FailsafeLand, DataLinkLossTimeout: 2 * time.Second, ActionDelay: -1},
	}, func(api string) string {
		r, err := udprelay.New(udprelay.Config{Upstream: api})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { r.Close() })
		relay = r
		return r.Addr().String()
	})
	f.rec.waitFor(t, abi.TopicVehicleLink, "link up", func(p []byte) bool { l, _ := abi.DecodeLink(p); return l.Up })
	// With a data-link-loss action configured, PX4 arms only with a ground
	// station: the gateway's heartbeats must count as one.
	f.rec.waitFor(t, abi.TopicVehicleStatusText, "Ready for takeoff", func(p []byte) bool {
		s, _ := abi.DecodeStatusText(p)
		return strings.Contains(s.Text, "Ready for takeoff")
	})
	f.rec.waitFor(t, abi.TopicVehicleGlobalPosition, "a position", func([]byte) bool { return true })
	if r := f.do(t, abi.VehicleArm, 0, ""); r.result != abi.VehicleAccepted {
		t.Fatalf("arm: %+v", r)
	}
	if r := f.do(t, abi.VehicleTakeoff, 5, ""); r.result != abi.VehicleAccepted {
		t.Fatalf("takeoff: %+v", r)
	}
	f.rec.waitFor(t, abi.TopicVehicleGlobalPosition, "airborne", func(p []byte) bool { return globalPos(t, p).RelativeAlt > 3 })
	if p := f.link.heartbeatPeriod(); p > 250*time.Millisecond || p < 150*time.Millisecond {
		t.Errorf("GCS heartbeat period %v at 5x, want about 200ms (one per vehicle second)", p)
	}

	relay.Cut()
	cut := time.Now()
	f.rec.waitFor(t, abi.TopicVehicleLink, "link down", func(p []byte) bool { l, _ := abi.DecodeLink(p); return !l.Up })
	if took := time.Since(cut); took > 2*time.Second {
		t.Errorf("loss noticed after %v", took)
	}
	if f.link.isUp() {
		t.Error("isUp after the loss")
	}
	if got := testutil.ToFloat64(f.m.lostArmed); got != 1 {
		t.Errorf("wasmbed_gateway_vehicle_links_lost_armed = %v after losing an armed vehicle, want 1", got)
	}
	// Meanwhile the vehicle, without its GCS, runs its own failsafe.
	eventually(t, "the data-link-loss failsafe", func() bool { return f.sim.State().Mode == px4sim.ModeAutoLand })
	if r := f.do(t, abi.VehicleLand, 0, ""); r.result != abi.VehicleTimeout {
		t.Errorf("command over a cut link: %+v", r)
	}
	relay.Restore()
	f.rec.waitFor(t, abi.TopicVehicleLink, "link up again", func(p []byte) bool { l, _ := abi.DecodeLink(p); return l.Up })
	if got := testutil.ToFloat64(f.m.lostArmed); got != 0 {
		t.Errorf("wasmbed_gateway_vehicle_links_lost_armed = %v after the link came back, want 0", got)
	}
}

// eventually polls cond until it holds.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(linkTestTimeout)
	for !cond() {
		select {
		case <-tick.C:
		case <-deadline:
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

func TestThrottleForwardsChangesAtOnceAndCapsTheRest(t *testing.T) {
	th := newThrottle(40 * time.Millisecond)
	t0 := time.Unix(0, 0)
	if !th.allow(abi.TopicVehicleGlobalPosition, 0, t0) || th.allow(abi.TopicVehicleGlobalPosition, 0, t0.Add(10*time.Millisecond)) {
		t.Error("position not capped")
	}
	if !th.allow(abi.TopicVehicleGlobalPosition, 0, t0.Add(41*time.Millisecond)) {
		t.Error("position not released after the interval")
	}
	if !th.allow(abi.TopicVehicleHeartbeat, 1, t0) || th.allow(abi.TopicVehicleHeartbeat, 1, t0.Add(time.Millisecond)) {
		t.Error("unchanged heartbeat not capped")
	}
	if !th.allow(abi.TopicVehicleHeartbeat, 2, t0.Add(2*time.Millisecond)) {
		t.Error("changed heartbeat held back")
	}
	for i := range 5 {
		if !th.allow(abi.TopicVehicleStatusText, 0, t0.Add(time.Duration(i))) {
			t.Error("status text throttled")
		}
	}
}

func TestVehicleEndpoints(t *testing.T) {
	for _, bad := range []string{"tcp://1.2.3.4:5", "udp://nohost", "udp:/x:1", ""} {
		if _, _, err := parseVehicleEndpoint(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	u, err := dialVehicle("udp-listen://127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer u.Close()
	if n, _ := u.Write([]byte("x")); n != 1 {
		t.Error("write before a peer is known must be dropped, not fail")
	}
}

func TestPX4Modes(t *testing.T) {
	for name, want := range map[string]uint32{"AUTO.LOITER": 0x03040000, "hold": 0x03040000, "MANUAL": 0x00010000, "rtl": 0x05040000, "POSCTL": 0x00030000} {
		m, ok := lookupPX4Mode(name)
		if !ok || m.customMode() != want {
			t.Errorf("%s: %#x, %v", name, m.customMode(), ok)
		}
	}
	if px4ModeName(0x06040000) != "AUTO.LAND" {
		t.Error("AUTO.LAND")
	}
}

func TestCommandLimiterAllowsABurstThenTheRate(t *testing.T) {
	l := newCommandLimiter()
	for i := range commandBurst {
		if !l.allow("d", "a") {
			t.Fatalf("command %d of the burst refused", i+1)
		}
	}
	if l.allow("d", "a") {
		t.Error("command over the burst allowed")
	}
	if !l.allow("d", "b") || !l.allow("e", "a") {
		t.Error("the limit is per device and app")
	}
}
