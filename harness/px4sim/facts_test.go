package px4sim_test

import (
	"fmt"
	"math"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bluenviron/gomavlib/v3/pkg/dialects/common"

	"github.com/wasmbed/wasmbed/harness/px4sim"
)

// These tests pin the facts issue 18 reports from a real PX4 v1.16.0 SITL
// (SIH quad), each checked there on the wire and in PX4's source. Each
// names its fact. README's "PX4 over MAVLink" has the table.

// console collects what the simulator prints on its "console" (Logf).
type console struct {
	mu    sync.Mutex
	lines []string
}

func (c *console) logf(format string, args ...any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.lines = append(c.lines, fmt.Sprintf(format, args...))
}

func (c *console) has(s string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, l := range c.lines {
		if strings.Contains(l, s) {
			return true
		}
	}
	return false
}

// Fact 1: "Ready for takeoff!" is console-only; a ground station sees
// readiness as the MAV_SYS_STATUS_PREARM_CHECK bit in SYS_STATUS, which
// turns on at the same moment (about 4.7 s after boot).
func TestFact1ReadinessIsThePrearmBitNotAText(t *testing.T) {
	t.Parallel()
	var out console
	f := start(t, 10, func(c *px4sim.Config) {
		c.ReadyDelay = 0 // PX4's boot timing
		c.Logf = out.logf
	})
	r, _ := f.api.waitReady(0, 1)
	if r.vtime < 4600*time.Millisecond || r.vtime > 5000*time.Millisecond {
		t.Errorf("pre-arm checks passed at %v of vehicle time, want about 4.7s", r.vtime)
	}
	// Before that, the bit is present and enabled but not healthy.
	var before int
	for _, s := range f.api.snapshot() {
		m, ok := s.fr.GetMessage().(*common.MessageSysStatus)
		if !ok || s.vtime >= r.vtime-250*time.Millisecond {
			continue
		}
		before++
		const bit = common.MAV_SYS_STATUS_PREARM_CHECK
		if m.OnboardControlSensorsPresent&bit == 0 || m.OnboardControlSensorsEnabled&bit == 0 || m.OnboardControlSensorsHealth&bit != 0 {
			t.Errorf("SYS_STATUS at %v: present %v enabled %v healthy %v, want present, enabled, not healthy", s.vtime,
				m.OnboardControlSensorsPresent&bit != 0, m.OnboardControlSensorsEnabled&bit != 0, m.OnboardControlSensorsHealth&bit != 0)
		}
	}
	if before == 0 {
		t.Error("no SYS_STATUS before readiness to check")
	}
	if !out.has("Ready for takeoff!") {
		t.Error(`"Ready for takeoff!" not printed on the console`)
	}
	// Both links have a ground station, so a text would reach them: an
	// arming text does; the readiness text never did.
	gcsFrom, apiFrom := f.gcs.cursor(), f.api.cursor()
	if got := f.api.commandLong(1, common.MAV_CMD_COMPONENT_ARM_DISARM, 1, 1); got[0] != common.MAV_RESULT_ACCEPTED {
		t.Fatalf("arm once ready: %v", got)
	}
	f.gcs.waitText(gcsFrom, "Armed by external command")
	f.api.waitText(apiFrom, "Armed by external command")
	for name, c := range map[string]*client{"gcs": f.gcs, "api": f.api} {
		if c.hasText("Ready for takeoff") {
			t.Errorf("%s link received a readiness STATUSTEXT", name)
		}
	}
	// The bit follows the pre-arm checks: in MANUAL, without RC, they fail.
	f.api.commandLong(1, common.MAV_CMD_COMPONENT_ARM_DISARM, 1, 0)
	f.api.commandLong(1, common.MAV_CMD_DO_SET_MODE, 2, 1, 1) // MANUAL
	_, next := f.api.waitMode(f.api.cursor(), 1, px4sim.ModeManual)
	f.api.waitFor(next, "SYS_STATUS with the pre-arm checks failing", func(r received) bool {
		_, ok := r.fr.GetMessage().(*common.MessageSysStatus)
		return ok && !prearmReady(r)
	})
}

// Fact 2: STATUSTEXT goes only to links where a MAV_TYPE_GCS heartbeat
// arrived within the last 2.5 s, and queued texts older than 5 s are
// dropped.
func TestFact2StatusTextReachesOnlyLinksWithAGroundStation(t *testing.T) {
	t.Parallel()
	// The GCS link's client listens and sends nothing; the API link's is a
	// ground station.
	f := startWith(t, 10, nil, clientOpts{sysid: 255}, groundStation(245))
	f.ready(t)
	gcsFrom, apiFrom := f.gcs.cursor(), f.api.cursor()
	f.api.commandLong(1, common.MAV_CMD_COMPONENT_ARM_DISARM, 1, 1)
	f.api.waitText(apiFrom, "Armed by external command")
	f.gcs.waitArmed(gcsFrom, 1, true)
	f.gcs.waitVehicleTime(f.gcs.vehicleTime() + 2*time.Second)
	if n := f.gcs.textCount(); n != 0 {
		t.Fatalf("a link without a ground station received %d texts", n)
	}

	// A ground station turning up on the GCS link within 5 s gets the text
	// queued for it.
	f.gcs.beatGCS()
	f.gcs.waitText(gcsFrom, "Armed by external command")

	// Its heartbeat ages past 2.5 s: new texts wait in the link's queue...
	lastBeat := f.gcs.vehicleTime()
	f.gcs.waitVehicleTime(lastBeat + 3*time.Second)
	gcsFrom = f.gcs.cursor()
	f.api.commandLong(1, common.MAV_CMD_COMPONENT_ARM_DISARM, 1, 0)
	f.api.waitText(apiFrom, "Disarmed by external command")
	f.gcs.waitVehicleTime(f.gcs.vehicleTime() + 6*time.Second)
	if f.gcs.hasText("Disarmed") {
		t.Fatal("a link whose ground station fell silent 3 s ago received a text")
	}
	// ...and are dropped once older than 5 s: a heartbeat now brings
	// nothing.
	f.gcs.beatGCS()
	f.gcs.waitVehicleTime(f.gcs.vehicleTime() + 2*time.Second)
	if f.gcs.hasText("Disarmed") {
		t.Error("a text older than 5 s was sent")
	}
	if f.sim.GCSStats().TextsDropped == 0 {
		t.Error("the stale text was not counted as dropped")
	}
	// And a text said now reaches the link again.
	f.gcs.beatGCS()
	f.api.commandLong(1, common.MAV_CMD_COMPONENT_ARM_DISARM, 1, 1)
	f.gcs.waitText(gcsFrom, "Armed by external command")
}

// Fact 3: COMMAND_ACK goes only to the link, and the component, the
// command came from.
func TestFact3CommandAckGoesOnlyToTheCommandingLink(t *testing.T) {
	t.Parallel()
	f := start(t, 10, nil)
	f.ready(t)
	gcsFrom, apiFrom := f.gcs.cursor(), f.api.cursor()
	if got := f.api.commandLong(1, common.MAV_CMD_COMPONENT_ARM_DISARM, 1, 1); got[0] != common.MAV_RESULT_ACCEPTED {
		t.Fatalf("arm from the API link: %v", got)
	}
	r, _ := f.api.waitFor(apiFrom, "the ack", func(r received) bool {
		_, ok := r.fr.GetMessage().(*common.MessageCommandAck)
		return ok
	})
	if a := r.fr.GetMessage().(*common.MessageCommandAck); a.TargetSystem != 245 || a.TargetComponent != 1 {
		t.Errorf("ack addressed to %d/%d, want the sender 245/1", a.TargetSystem, a.TargetComponent)
	}
	// The other link sees the vehicle arm, two vehicle seconds pass, and
	// no ack.
	f.gcs.waitArmed(gcsFrom, 1, true)
	f.gcs.waitVehicleTime(f.gcs.vehicleTime() + 2*time.Second)
	if n := f.gcs.ackCount(gcsFrom, common.MAV_CMD_COMPONENT_ARM_DISARM); n != 0 {
		t.Errorf("the GCS link received %d acks for a command from the API link", n)
	}
	// And the other way round.
	gcsFrom, apiFrom = f.gcs.cursor(), f.api.cursor()
	if got := f.gcs.commandLong(1, common.MAV_CMD_COMPONENT_ARM_DISARM, 1, 0); got[0] != common.MAV_RESULT_ACCEPTED {
		t.Fatalf("disarm from the GCS link: %v", got)
	}
	f.api.waitArmed(apiFrom, 1, false)
	f.api.waitVehicleTime(f.api.vehicleTime() + 2*time.Second)
	if n := f.api.ackCount(apiFrom, common.MAV_CMD_COMPONENT_ARM_DISARM); n != 0 {
		t.Errorf("the API link received %d acks for a command from the GCS link", n)
	}
	// DO_SET_MODE's two acks too.
	apiFrom = f.api.cursor()
	f.gcs.commandLong(1, common.MAV_CMD_DO_SET_MODE, 2, 1, 4, 5)
	f.api.waitMode(apiFrom, 1, px4sim.ModeAutoRTL)
	f.api.waitVehicleTime(f.api.vehicleTime() + 2*time.Second)
	if n := f.api.ackCount(apiFrom, common.MAV_CMD_DO_SET_MODE); n != 0 {
		t.Errorf("the API link received %d DO_SET_MODE acks for a command from the GCS link", n)
	}
}

// Fact 4: commander's texts may end in a tab and arrive in two chunks,
// numbered with STATUSTEXT's id and chunk_seq.
func TestFact4CommanderTextsEndInATabAndArriveInChunks(t *testing.T) {
	t.Parallel()
	f := start(t, 10, nil)
	f.ready(t)
	f.api.commandLong(1, common.MAV_CMD_DO_SET_MODE, 2, 1, 1) // MANUAL: arming fails without RC
	f.api.waitMode(f.api.cursor(), 1, px4sim.ModeManual)
	from := f.api.cursor()
	if got := f.api.commandLong(1, common.MAV_CMD_COMPONENT_ARM_DISARM, 1, 1); got[0] != common.MAV_RESULT_TEMPORARILY_REJECTED {
		t.Fatalf("arm in MANUAL: %v", got)
	}
	f.api.waitText(from, "Arming denied")
	var chunks []*common.MessageStatustext
	for _, r := range f.api.snapshot()[from:] {
		if st, ok := r.fr.GetMessage().(*common.MessageStatustext); ok {
			chunks = append(chunks, st)
		}
	}
	const want = "Arming denied: Resolve system health failures first\t"
	if len(chunks) != 2 || chunks[0].Text+chunks[1].Text != want {
		t.Fatalf("chunks %+v, want %q in two", chunks, want)
	}
	if len(chunks[0].Text) != 50 || chunks[1].Text != "t\t" || chunks[0].Id != chunks[1].Id ||
		chunks[0].ChunkSeq != 0 || chunks[1].ChunkSeq != 1 || chunks[0].Severity != common.MAV_SEVERITY_CRITICAL {
		t.Errorf("chunks %+v", chunks)
	}
	// A short one ends in a tab as well, in one chunk with the next id.
	from = f.api.cursor()
	f.api.commandLong(1, common.MAV_CMD_DO_SET_MODE, 2, 1, 4, 3) // AUTO.LOITER
	f.api.commandLong(1, common.MAV_CMD_COMPONENT_ARM_DISARM, 1, 1)
	f.api.waitText(from, "Armed by")
	for _, r := range f.api.snapshot()[from:] {
		if st, ok := r.fr.GetMessage().(*common.MessageStatustext); ok {
			if st.Text != "Armed by external command\t" || st.Id != chunks[0].Id+1 || st.ChunkSeq != 0 {
				t.Errorf("arming text %+v", st)
			}
		}
	}
}

// Fact 5: home is reset at arming and again when the take-off is
// detected; a take-off to 10 m reads a little more than 10 m relative to
// that home, and a landed vehicle reads above zero.
func TestFact5HomeIsResetAtArmingAndAtTakeoff(t *testing.T) {
	t.Parallel()
	// Seed 7 gives a vehicle whose ground-effect dip clearly exceeds the
	// 0.3 m at which the take-off is detected (see estimator.go).
	f := start(t, 25, func(c *px4sim.Config) { c.Seed = 7 })
	f.ready(t)
	homes := func(from int) []*common.MessageHomePosition {
		var out []*common.MessageHomePosition
		for _, r := range f.api.snapshot()[from:] {
			if h, ok := r.fr.GetMessage().(*common.MessageHomePosition); ok {
				out = append(out, h)
			}
		}
		return out
	}
	homeAt := func(from int, what string) (*common.MessageHomePosition, int) {
		r, next := f.api.waitFor(from, what, func(r received) bool {
			_, ok := r.fr.GetMessage().(*common.MessageHomePosition)
			return ok
		})
		return r.fr.GetMessage().(*common.MessageHomePosition), next
	}
	boot, _ := homeAt(0, "the boot home")

	from := f.api.cursor()
	f.api.commandLong(1, common.MAV_CMD_COMPONENT_ARM_DISARM, 1, 1)
	_, armed := f.api.waitArmed(from, 1, true)
	g, _ := f.api.waitGlobal(armed, "position after arming", func(*common.MessageGlobalPositionInt) bool { return true })
	armHome := float64(g.Alt-g.RelativeAlt) / 1000
	arming, _ := homeAt(armed, "the arming home")
	if arming.TimeUsec == boot.TimeUsec {
		t.Error("home was not set again at arming")
	}
	if math.Abs(float64(arming.Altitude)/1000-armHome) > 0.01 {
		t.Errorf("HOME_POSITION %.3f m disagrees with alt - relative_alt %.3f m", float64(arming.Altitude)/1000, armHome)
	}

	from = f.api.cursor()
	nan := float32(math.NaN())
	f.api.commandLong(1, common.MAV_CMD_NAV_TAKEOFF, 1, 0, 0, 0, nan, nan, nan, float32(armHome+10))
	_, detected := f.api.waitText(from, "Takeoff detected")
	_, next := f.api.waitMode(detected, 1, px4sim.ModeAutoLoiter)
	var takeoff *common.MessageHomePosition
	for _, h := range homes(from) {
		if h.TimeUsec != arming.TimeUsec {
			takeoff = h
		}
	}
	if takeoff == nil {
		takeoff, _ = homeAt(next, "the take-off home")
	}
	if takeoff.TimeUsec == arming.TimeUsec {
		t.Fatal("home was not set again at the take-off")
	}
	// The take-off home is below the arming home (the estimate dips in the
	// prop wash near the ground), so 10 m above the arming home reads more
	// than 10 m.
	lift := armHome - float64(takeoff.Altitude)/1000
	if lift <= 0 || lift > 0.6 {
		t.Errorf("take-off home %.2f m below the arming home, want 0-0.6", lift)
	}
	g, _ = f.api.waitGlobal(next, "hovering", func(g *common.MessageGlobalPositionInt) bool {
		return math.Abs(float64(g.Alt)/1000-(armHome+10)) < 0.1
	})
	if rel := float64(g.RelativeAlt) / 1000; math.Abs(rel-(10+lift)) > 0.15 {
		t.Errorf("relative altitude %.2f, want 10 m plus the home's drop %.2f", rel, lift)
	}

	from = f.api.cursor()
	f.api.commandLong(1, common.MAV_CMD_NAV_LAND, 1)
	_, next = f.api.waitArmed(from, 1, false)
	g, _ = f.api.waitGlobal(next, "landed", func(*common.MessageGlobalPositionInt) bool { return true })
	// It reads the home's drop plus the drift since the take-off: within
	// the ground wander PX4 showed (the model test checks the bias).
	if rel := float64(g.RelativeAlt) / 1000; rel < -0.9 || rel > 1.3 {
		t.Errorf("landed and disarmed at %.2f m relative (PX4 read 0.503 m)", rel)
	}
}
