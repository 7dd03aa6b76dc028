package px4sim_test

import (
	"math"
	"net"
	"runtime"
	"testing"
	"time"

	"github.com/bluenviron/gomavlib/v3/pkg/dialects/common"

	"github.com/wasmbed/wasmbed/harness/px4sim"
)

// The conformance tests check, through MAVLink only, the facts observed on
// a real PX4 v1.16.0 SITL that the simulator promises to reproduce.

func TestBootHeartbeatOnBothLinks(t *testing.T) {
	t.Parallel()
	f := start(t, 10, nil)
	for name, c := range map[string]*client{"gcs": f.gcs, "api": f.api} {
		r, _ := c.waitFor(0, name+" heartbeat", func(r received) bool {
			_, ok := r.fr.GetMessage().(*common.MessageHeartbeat)
			return ok
		})
		hb := r.fr.GetMessage().(*common.MessageHeartbeat)
		if r.fr.GetSystemID() != 1 || r.fr.GetComponentID() != 1 {
			t.Errorf("%s: heartbeat from %d/%d, want 1/1", name, r.fr.GetSystemID(), r.fr.GetComponentID())
		}
		if hb.Type != common.MAV_TYPE_QUADROTOR || hb.Autopilot != common.MAV_AUTOPILOT_PX4 {
			t.Errorf("%s: type/autopilot %v/%v", name, hb.Type, hb.Autopilot)
		}
		if hb.CustomMode != 0x03040000 || hb.BaseMode != 0x1d || hb.SystemStatus != common.MAV_STATE_STANDBY || hb.MavlinkVersion != 3 {
			t.Errorf("%s: boot heartbeat custom=%#x base=%#x status=%v version=%d", name, hb.CustomMode, hb.BaseMode, hb.SystemStatus, hb.MavlinkVersion)
		}
	}
}

func TestCustomModeEncoding(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		mode px4sim.Mode
		want uint32
		name string
	}{
		{px4sim.ModeAutoLoiter, 0x03040000, "AUTO.LOITER"},
		{px4sim.ModeAutoTakeoff, 0x02040000, "AUTO.TAKEOFF"},
		{px4sim.ModeAutoLand, 0x06040000, "AUTO.LAND"},
		{px4sim.ModeAutoRTL, 0x05040000, "AUTO.RTL"},
		{px4sim.ModeAutoMission, 0x04040000, "AUTO.MISSION"},
		{px4sim.ModePosctl, 0x00030000, "POSCTL"},
		{px4sim.ModeAltctl, 0x00020000, "ALTCTL"},
		{px4sim.ModeManual, 0x00010000, "MANUAL"},
		{px4sim.ModeStabilized, 0x00070000, "STABILIZED"},
		{px4sim.ModeOffboard, 0x00060000, "OFFBOARD"},
	} {
		if uint32(tc.mode) != tc.want || tc.mode.String() != tc.name {
			t.Errorf("%s = %#x %q, want %#x", tc.name, uint32(tc.mode), tc.mode.String(), tc.want)
		}
	}
}

// rate counts messages of id received on c whose vehicle time lies in
// [from, from+window), in Hz of vehicle time.
func rate(c *client, id uint32, from, window time.Duration) float64 {
	n := 0
	for _, r := range c.snapshot() {
		if r.fr.GetMessage().GetID() == id && r.fr.GetSystemID() == 1 && r.vtime >= from && r.vtime < from+window {
			n++
		}
	}
	return float64(n) / window.Seconds()
}

func TestStreamRatesPerLink(t *testing.T) {
	t.Parallel()
	// With the budget raised, both links send every message in full.
	f := start(t, 10, func(c *px4sim.Config) { c.LinkBudget = 5000 })
	f.ready(t)
	from := f.api.vehicleTime() + time.Second
	const window = 6 * time.Second
	f.api.waitVehicleTime(from + window + 500*time.Millisecond)
	f.gcs.waitVehicleTime(from + window + 500*time.Millisecond)
	for _, tc := range []struct {
		name     string
		id       uint32
		gcs, api float64
	}{
		{"HEARTBEAT", 0, 1, 1},
		{"SYS_STATUS", 1, 1, 5},
		{"EXTENDED_SYS_STATE", 245, 1, 5},
		{"ATTITUDE", 30, 50, 100},
		{"LOCAL_POSITION_NED", 32, 50, 50},
		{"GLOBAL_POSITION_INT", 33, 50, 50},
		{"BATTERY_STATUS", 147, 0.5, 0.5},
		{"HOME_POSITION", 242, 0.5, 0.5},
	} {
		for _, l := range []struct {
			name string
			c    *client
			want float64
		}{{"gcs", f.gcs, tc.gcs}, {"api", f.api, tc.api}} {
			got := rate(l.c, tc.id, from, window)
			tol := math.Max(0.05*l.want, 1.0/window.Seconds()+0.01)
			if math.Abs(got-l.want) > tol {
				t.Errorf("%s on %s link: %.2f Hz, want %.2f", tc.name, l.name, got, l.want)
			}
		}
	}
}

func TestHighSpeedOutputIsCapped(t *testing.T) {
	t.Parallel()
	const speed = 50
	f := start(t, speed, func(c *px4sim.Config) { c.LinkBudget = 800 })
	f.ready(t)
	from := f.api.cursor()
	start := f.api.vehicleTime()
	f.api.waitVehicleTime(start + 60*time.Second) // 1.2 s of wall time
	frames := f.api.snapshot()[from:]
	wall := frames[len(frames)-1].wall.Sub(frames[0].wall).Seconds()
	if perSecond := float64(len(frames)) / wall; perSecond > 800*1.3 {
		t.Errorf("API link sent %.0f messages per wall second, budget 800", perSecond)
	}
	// Slow streams keep their rate in vehicle time; fast ones are thinned
	// to an equal share of what is left of the budget.
	if hb := rate(f.api, 0, start, 60*time.Second); math.Abs(hb-1) > 0.1 {
		t.Errorf("HEARTBEAT at %.2f Hz vehicle time, want 1", hb)
	}
	if att := rate(f.api, 30, start, 60*time.Second); att >= 50 || att < 1 {
		t.Errorf("ATTITUDE at %.2f Hz vehicle time, want thinned below 50 but present", att)
	}
}

func TestArmInLoiterAndDisarmOnGround(t *testing.T) {
	t.Parallel()
	f := start(t, 10, nil)
	f.ready(t)
	from := f.gcs.cursor()
	if got := f.api.commandLong(1, common.MAV_CMD_COMPONENT_ARM_DISARM, 1, 1); got[0] != common.MAV_RESULT_ACCEPTED {
		t.Fatalf("arm in AUTO.LOITER: %v", got)
	}
	hb, _ := f.gcs.waitArmed(from, 1, true)
	if hb.BaseMode != 0x9d || hb.SystemStatus != common.MAV_STATE_ACTIVE || hb.CustomMode != 0x03040000 {
		t.Errorf("armed heartbeat base=%#x status=%v custom=%#x", hb.BaseMode, hb.SystemStatus, hb.CustomMode)
	}
	f.gcs.waitText(from, "Armed by external command")
	from = f.gcs.cursor()
	if got := f.api.commandLong(1, common.MAV_CMD_COMPONENT_ARM_DISARM, 1, 0); got[0] != common.MAV_RESULT_ACCEPTED {
		t.Fatalf("disarm on the ground: %v", got)
	}
	hb, _ = f.gcs.waitArmed(from, 1, false)
	if hb.BaseMode != 0x1d || hb.SystemStatus != common.MAV_STATE_STANDBY {
		t.Errorf("disarmed heartbeat base=%#x status=%v", hb.BaseMode, hb.SystemStatus)
	}
}

func TestArmDeniedInManualModesWithoutRC(t *testing.T) {
	t.Parallel()
	f := start(t, 10, nil)
	f.ready(t)
	for _, m := range []px4sim.Mode{px4sim.ModeManual, px4sim.ModeAltctl, px4sim.ModePosctl, px4sim.ModeStabilized} {
		if got := f.api.commandLong(1, common.MAV_CMD_DO_SET_MODE, 2, 1, float32(m.Main()), float32(m.Sub())); got[1] != common.MAV_RESULT_ACCEPTED {
			t.Fatalf("set %v while disarmed: %v", m, got)
		}
		hb, _ := f.api.waitMode(f.api.cursor(), 1, m)
		if hb.BaseMode != 0x51 {
			t.Errorf("%v: base_mode %#x, want 0x51", m, hb.BaseMode)
		}
		gcsFrom, apiFrom := f.gcs.cursor(), f.api.cursor()
		if got := f.api.commandLong(1, common.MAV_CMD_COMPONENT_ARM_DISARM, 1, 1); got[0] != common.MAV_RESULT_TEMPORARILY_REJECTED {
			t.Errorf("arm in %v: %v, want TEMPORARILY_REJECTED", m, got)
		}
		// PX4 sends its own STATUSTEXT on every link with a ground station.
		f.api.waitText(apiFrom, "Arming denied: Resolve system health failures first")
		f.gcs.waitText(gcsFrom, "Arming denied: Resolve system health failures first")
	}
}

func TestDoSetModeIsAcknowledgedTwice(t *testing.T) {
	t.Parallel()
	f := start(t, 10, nil)
	f.ready(t)
	apiFrom := f.api.cursor()
	got := f.api.commandLong(1, common.MAV_CMD_DO_SET_MODE, 2, 1, 4, 5) // AUTO.RTL while disarmed
	if got[0] != common.MAV_RESULT_ACCEPTED || got[1] != common.MAV_RESULT_ACCEPTED {
		t.Errorf("api acks %v", got)
	}
	f.api.waitMode(apiFrom, 1, px4sim.ModeAutoRTL)

	// Armed, a mode that cannot run is refused by commander only in the
	// second ack; the heartbeat keeps the old mode.
	f.api.commandLong(1, common.MAV_CMD_DO_SET_MODE, 2, 1, 4, 3)
	f.api.waitMode(f.api.cursor(), 1, px4sim.ModeAutoLoiter)
	if got := f.api.commandLong(1, common.MAV_CMD_COMPONENT_ARM_DISARM, 1, 1); got[0] != common.MAV_RESULT_ACCEPTED {
		t.Fatalf("arm: %v", got)
	}
	apiFrom = f.api.cursor()
	got = f.api.commandLong(1, common.MAV_CMD_DO_SET_MODE, 2, 1, 3, 0) // POSCTL, no RC
	if got[0] != common.MAV_RESULT_ACCEPTED || got[1] != common.MAV_RESULT_TEMPORARILY_REJECTED {
		t.Errorf("api acks for a refused mode %v", got)
	}
	hb, _ := f.api.heartbeatFrom(apiFrom, 1, "heartbeat", func(*common.MessageHeartbeat) bool { return true })
	if hb.CustomMode != uint32(px4sim.ModeAutoLoiter) {
		t.Errorf("mode after refused change %#x", hb.CustomMode)
	}
}

func TestTakeoffToAMSLAltitudeThenHold(t *testing.T) {
	t.Parallel()
	f := start(t, 25, nil)
	f.ready(t)
	f.api.commandLong(1, common.MAV_CMD_COMPONENT_ARM_DISARM, 1, 1)
	// Like the gateway, take the home PX4 set at arming from its position
	// (alt - relative_alt) and ask for 10 m above it, in AMSL.
	_, armed := f.api.waitArmed(f.api.cursor(), 1, true)
	g, _ := f.api.waitGlobal(armed, "position after arming", func(*common.MessageGlobalPositionInt) bool { return true })
	home := float64(g.Alt-g.RelativeAlt) / 1000
	from := f.gcs.cursor()
	nan := float32(math.NaN())
	if got := f.api.commandLong(1, common.MAV_CMD_NAV_TAKEOFF, 1, 0, 0, 0, nan, nan, nan, float32(home+10)); got[0] != common.MAV_RESULT_ACCEPTED {
		t.Fatalf("takeoff: %v", got)
	}
	_, next := f.gcs.waitMode(from, 1, px4sim.ModeAutoTakeoff)
	f.gcs.waitText(from, "Takeoff detected")
	f.gcs.waitFor(from, "landed state TAKEOFF", func(r received) bool {
		e, ok := r.fr.GetMessage().(*common.MessageExtendedSysState)
		return ok && e.LandedState == common.MAV_LANDED_STATE_TAKEOFF
	})
	_, next = f.gcs.waitMode(next, 1, px4sim.ModeAutoLoiter)
	// PX4 holds the AMSL altitude it was given, in its own estimate.
	g, _ = f.gcs.waitGlobal(next, "settled at 10 m above the arming home", func(g *common.MessageGlobalPositionInt) bool {
		return math.Abs(float64(g.Alt)/1000-(home+10)) < 0.2
	})
	f.gcs.waitVehicleTime(time.Duration(g.TimeBootMs)*time.Millisecond + 3*time.Second)
	g, _ = f.gcs.waitGlobal(f.gcs.cursor(), "hovering", func(*common.MessageGlobalPositionInt) bool { return true })
	if amsl := float64(g.Alt) / 1000; math.Abs(amsl-(home+10)) > 0.2 {
		t.Errorf("hovering at %.2f m AMSL, want %.2f", amsl, home+10)
	}
	// Home was reset at the take-off (fact 5): the relative altitude is
	// measured from there and reads a little more than 10 m.
	if rel := float64(g.RelativeAlt) / 1000; rel < 9.9 || rel > 10.7 {
		t.Errorf("relative altitude %.2f at 10 m above the arming home, want 10-10.7", rel)
	}
	f.gcs.waitFor(next, "landed state IN_AIR", func(r received) bool {
		e, ok := r.fr.GetMessage().(*common.MessageExtendedSysState)
		return ok && e.LandedState == common.MAV_LANDED_STATE_IN_AIR
	})

	// The climb rate, from the vehicle's own clock, between 3 m and 7 m.
	var t3, t7 time.Duration
	for _, r := range f.gcs.snapshot()[from:] {
		g, ok := r.fr.GetMessage().(*common.MessageGlobalPositionInt)
		if !ok {
			continue
		}
		alt := float64(g.RelativeAlt) / 1000
		at := time.Duration(g.TimeBootMs) * time.Millisecond
		if t3 == 0 && alt >= 3 {
			t3 = at
		}
		if t7 == 0 && alt >= 7 {
			t7 = at
		}
	}
	if climb := 4 / (t7 - t3).Seconds(); math.Abs(climb-0.7) > 0.07 {
		t.Errorf("climb rate %.3f m/s, want 0.7", climb)
	}
}

func TestDisarmInAirIsRefused(t *testing.T) {
	t.Parallel()
	f := start(t, 25, nil)
	f.takeoff(t, 5)
	from := f.gcs.cursor()
	if got := f.api.commandLong(1, common.MAV_CMD_COMPONENT_ARM_DISARM, 1, 0); got[0] != common.MAV_RESULT_TEMPORARILY_REJECTED {
		t.Errorf("disarm in the air: %v", got)
	}
	f.gcs.waitText(from, "Disarming denied: not landed")
	hb, _ := f.gcs.heartbeatFrom(f.gcs.cursor(), 1, "heartbeat", func(*common.MessageHeartbeat) bool { return true })
	if hb.BaseMode&common.MAV_MODE_FLAG_SAFETY_ARMED == 0 {
		t.Error("vehicle disarmed in the air")
	}
}

func TestLandDetectsTouchdownAndDisarms(t *testing.T) {
	t.Parallel()
	f := start(t, 25, nil)
	f.takeoff(t, 5)
	from := f.gcs.cursor()
	if got := f.api.commandLong(1, common.MAV_CMD_NAV_LAND, 1); got[0] != common.MAV_RESULT_ACCEPTED {
		t.Fatalf("land: %v", got)
	}
	f.gcs.waitMode(from, 1, px4sim.ModeAutoLand)
	f.gcs.waitText(from, "Landing at current position")
	f.gcs.waitFor(from, "landed state LANDING", func(r received) bool {
		e, ok := r.fr.GetMessage().(*common.MessageExtendedSysState)
		return ok && e.LandedState == common.MAV_LANDED_STATE_LANDING
	})
	_, next := f.gcs.waitText(from, "Landing detected")
	_, next = f.gcs.waitText(next, "Disarmed by landing")
	hb, _ := f.gcs.waitArmed(next, 1, false)
	// After disarming PX4 falls back to the last mode that allows arming.
	if hb.CustomMode != uint32(px4sim.ModeAutoLoiter) {
		t.Errorf("mode after landing %#x, want AUTO.LOITER", hb.CustomMode)
	}
	f.gcs.waitFor(next, "landed state ON_GROUND", func(r received) bool {
		e, ok := r.fr.GetMessage().(*common.MessageExtendedSysState)
		return ok && e.LandedState == common.MAV_LANDED_STATE_ON_GROUND
	})
	g, _ := f.gcs.waitGlobal(next, "position", func(*common.MessageGlobalPositionInt) bool { return true })
	// Landed, the estimate reads off the ground by what PX4 showed (fact
	// 5: the ground wander, -0.7..+1.06 m, and 0.503 m after a landing).
	if rel := float64(g.RelativeAlt) / 1000; rel < -0.9 || rel > 1.3 {
		t.Errorf("relative altitude on the ground %.2f", rel)
	}
}

func TestReturnToLaunchComesHomeAndLands(t *testing.T) {
	t.Parallel()
	f := start(t, 40, nil)
	f.takeoff(t, 10)
	// Fly 40 m north with DO_REPOSITION (PX4 needs the mode-switch flag).
	home := px4sim.DefaultHome
	targetLat := home.Lat + 40/6371000.0*180/math.Pi
	nan := float32(math.NaN())
	if got := f.api.commandLong(1, common.MAV_CMD_DO_REPOSITION, 1, -1, 1, 0, nan, float32(targetLat), float32(home.Lon), nan); got[0] != common.MAV_RESULT_ACCEPTED {
		t.Fatalf("reposition: %v", got)
	}
	from := f.gcs.cursor()
	f.gcs.waitGlobal(from, "40 m north", func(g *common.MessageGlobalPositionInt) bool {
		return math.Abs(float64(g.Lat)/1e7-targetLat) < 1e-6*2
	})
	from = f.gcs.cursor()
	if got := f.api.commandLong(1, common.MAV_CMD_NAV_RETURN_TO_LAUNCH, 1); got[0] != common.MAV_RESULT_ACCEPTED {
		t.Fatalf("rtl: %v", got)
	}
	f.gcs.waitText(from, "Returning to launch")
	f.gcs.waitMode(from, 1, px4sim.ModeAutoRTL)
	// Beyond RTL_MIN_DIST it climbs to RTL_RETURN_ALT (60 m) first.
	f.gcs.waitGlobal(from, "return altitude", func(g *common.MessageGlobalPositionInt) bool {
		return float64(g.RelativeAlt)/1000 > 59
	})
	_, next := f.gcs.waitText(from, "Disarmed by landing")
	g, _ := f.gcs.waitGlobal(next, "final position", func(*common.MessageGlobalPositionInt) bool { return true })
	dLat := (float64(g.Lat)/1e7 - home.Lat) * math.Pi / 180 * 6371000
	dLon := (float64(g.Lon)/1e7 - home.Lon) * math.Pi / 180 * 6371000 * math.Cos(home.Lat*math.Pi/180)
	if d := math.Hypot(dLat, dLon); d > 2 {
		t.Errorf("landed %.1f m from home", d)
	}
}

func TestRequestMessageAndMessageInterval(t *testing.T) {
	t.Parallel()
	f := start(t, 10, func(c *px4sim.Config) { c.LinkBudget = 5000 })
	f.ready(t)
	from := f.api.cursor()
	if got := f.api.commandLong(1, common.MAV_CMD_REQUEST_MESSAGE, 1, 148); got[0] != common.MAV_RESULT_ACCEPTED {
		t.Fatalf("REQUEST_MESSAGE(AUTOPILOT_VERSION): %v", got)
	}
	r, _ := f.api.waitFor(from, "AUTOPILOT_VERSION", func(r received) bool {
		_, ok := r.fr.GetMessage().(*common.MessageAutopilotVersion)
		return ok
	})
	if v := r.fr.GetMessage().(*common.MessageAutopilotVersion).FlightSwVersion; v != 0x011000ff {
		t.Errorf("flight_sw_version %#x, want v1.16.0 official", v)
	}
	if got := f.api.commandLong(1, common.MAV_CMD_REQUEST_MESSAGE, 1, 9999); got[0] != common.MAV_RESULT_DENIED {
		t.Errorf("REQUEST_MESSAGE(unknown): %v", got)
	}

	// 10 Hz ATTITUDE on the GCS link only.
	if got := f.gcs.commandLong(1, common.MAV_CMD_SET_MESSAGE_INTERVAL, 1, 30, 100000); got[0] != common.MAV_RESULT_ACCEPTED {
		t.Fatalf("SET_MESSAGE_INTERVAL: %v", got)
	}
	if got := f.gcs.commandLong(1, common.MAV_CMD_SET_MESSAGE_INTERVAL, 1, 0, 100000); got[0] != common.MAV_RESULT_FAILED {
		t.Errorf("SET_MESSAGE_INTERVAL(HEARTBEAT): %v, PX4 has no such stream", got)
	}
	begin := f.gcs.vehicleTime() + 500*time.Millisecond
	f.gcs.waitVehicleTime(begin + 4*time.Second + 200*time.Millisecond)
	f.api.waitVehicleTime(begin + 4*time.Second + 200*time.Millisecond)
	if got := rate(f.gcs, 30, begin, 4*time.Second); math.Abs(got-10) > 0.6 {
		t.Errorf("GCS ATTITUDE after SET_MESSAGE_INTERVAL: %.2f Hz, want 10", got)
	}
	if got := rate(f.api, 30, begin, 4*time.Second); math.Abs(got-100) > 5 {
		t.Errorf("API ATTITUDE changed too: %.2f Hz", got)
	}
	// Disabling a stream.
	f.gcs.commandLong(1, common.MAV_CMD_SET_MESSAGE_INTERVAL, 1, 147, -1)
	begin = f.gcs.vehicleTime() + 100*time.Millisecond
	f.gcs.waitVehicleTime(begin + 5*time.Second)
	if got := rate(f.gcs, 147, begin, 5*time.Second); got != 0 {
		t.Errorf("BATTERY_STATUS still at %.2f Hz after disabling", got)
	}
}

func TestUnsupportedCommands(t *testing.T) {
	t.Parallel()
	f := start(t, 10, nil)
	f.ready(t)
	if got := f.api.commandLong(1, common.MAV_CMD_DO_SET_SERVO, 1, 1, 1500); got[0] != common.MAV_RESULT_UNSUPPORTED {
		t.Errorf("DO_SET_SERVO: %v", got)
	}
	if got := f.api.commandLong(1, common.MAV_CMD(31013), 1); got[0] != common.MAV_RESULT_UNSUPPORTED {
		t.Errorf("unknown command: %v", got)
	}
}

func TestPreflightAutoDisarm(t *testing.T) {
	t.Parallel()
	f := start(t, 50, nil)
	f.ready(t)
	from := f.gcs.cursor()
	f.api.commandLong(1, common.MAV_CMD_COMPONENT_ARM_DISARM, 1, 1)
	r, next := f.gcs.waitText(from, "Armed by external command")
	r2, _ := f.gcs.waitText(next, "Disarmed by auto preflight disarming")
	if d := r2.vtime - r.vtime; d < 9500*time.Millisecond || d > 10500*time.Millisecond {
		t.Errorf("auto-disarmed after %v, want COM_DISARM_PRFLT 10s", d)
	}
}

func TestLinkLatchesItsFirstPartner(t *testing.T) {
	t.Parallel()
	sim, err := px4sim.New(px4sim.Config{
		SpeedFactor: 10,
		GCS:         px4sim.LinkConfig{Bind: "127.0.0.1:0", Remote: px4sim.NoRemote},
		API:         px4sim.LinkConfig{Bind: "127.0.0.1:0", Remote: px4sim.NoRemote},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := sim.Start(); err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	first := newClient(t, listenLoopback(t), sim.APIAddr(), clientOpts{sysid: 245})
	second := newClient(t, listenLoopback(t), sim.APIAddr(), clientOpts{sysid: 246})
	first.send(&common.MessageHeartbeat{Type: common.MAV_TYPE_ONBOARD_CONTROLLER, Autopilot: common.MAV_AUTOPILOT_INVALID})
	// Position output starts when the estimator is ready (the "Ready for
	// takeoff!" text may have gone out before anyone was latched).
	first.waitGlobal(0, "position", func(*common.MessageGlobalPositionInt) bool { return true })
	second.send(&common.MessageHeartbeat{Type: common.MAV_TYPE_ONBOARD_CONTROLLER, Autopilot: common.MAV_AUTOPILOT_INVALID})
	// The second sender is still heard: its command is executed...
	second.send(&common.MessageCommandLong{TargetSystem: 1, TargetComponent: 1, Command: common.MAV_CMD_COMPONENT_ARM_DISARM, Param1: 1})
	from := first.cursor()
	if got := first.acks(0, common.MAV_CMD_COMPONENT_ARM_DISARM, 1); got[0] != common.MAV_RESULT_ACCEPTED {
		t.Fatalf("arm from the second sender: %v", got)
	}
	first.waitArmed(from, 1, true)
	// ...but replies keep going to the first partner only.
	if n := len(second.snapshot()); n != 0 {
		t.Errorf("second sender received %d frames; PX4 latches its first partner", n)
	}
}

func TestForwardsMessagesBetweenLinks(t *testing.T) {
	t.Parallel()
	f := start(t, 10, nil)
	f.ready(t)
	// PX4 forwards to a link only components it has heard there.
	f.gcs.send(&common.MessageHeartbeat{Type: common.MAV_TYPE_GCS, Autopilot: common.MAV_AUTOPILOT_INVALID})
	f.gcs.waitVehicleTime(f.gcs.vehicleTime() + 200*time.Millisecond)
	from := f.gcs.cursor()
	f.api.send(&common.MessageStatustext{Severity: common.MAV_SEVERITY_NOTICE, Text: "from the companion"})
	r, _ := f.gcs.waitText(from, "from the companion")
	if r.fr.GetSystemID() != 245 {
		t.Errorf("forwarded from system %d, want the original 245", r.fr.GetSystemID())
	}
}

func TestDataLinkLossFailsafeOnlyCountsGCSHeartbeats(t *testing.T) {
	t.Parallel()
	// An onboard computer on the GCS link sends non-GCS heartbeats
	// throughout: they must not mask the loss.
	onboard := clientOpts{sysid: 251, heartbeatType: int(common.MAV_TYPE_ONBOARD_CONTROLLER), heartbeatHz: 20}
	f := startWith(t, 10, func(c *px4sim.Config) {
		c.Failsafe = px4sim.FailsafeConfig{
			DataLinkLossAction:  px4sim.FailsafeRTL,
			DataLinkLossTimeout: 3 * time.Second,
			ActionDelay:         1 * time.Second,
		}
	}, onboard, clientOpts{sysid: 245})
	// With a data-link-loss action configured, PX4's pre-arm checks fail
	// until a ground station is heard.
	f.gcs.waitVehicleTime(7 * time.Second)
	for _, r := range f.gcs.snapshot() {
		if prearmReady(r) {
			t.Fatalf("pre-arm checks passed at %v without a GCS", r.vtime)
		}
	}
	if got := f.api.commandLong(1, common.MAV_CMD_COMPONENT_ARM_DISARM, 1, 1); got[0] != common.MAV_RESULT_TEMPORARILY_REJECTED {
		t.Fatalf("arm without a GCS: %v", got)
	}

	// The ground station's heartbeats: 20 Hz wall, 0.5 s vehicle time.
	gcsHB := newClient(t, listenLoopback(t), f.sim.APIAddr(), clientOpts{sysid: 250, heartbeatType: int(common.MAV_TYPE_GCS), heartbeatHz: 20})
	f.api.waitReady(f.api.cursor(), 1)
	if got := f.api.commandLong(1, common.MAV_CMD_COMPONENT_ARM_DISARM, 1, 1); got[0] != common.MAV_RESULT_ACCEPTED {
		t.Fatalf("arm: %v", got)
	}
	from := f.gcs.cursor()
	nan := float32(math.NaN())
	f.api.commandLong(1, common.MAV_CMD_NAV_TAKEOFF, 1, 0, 0, 0, nan, nan, nan, float32(px4sim.DefaultHome.Alt+5))
	_, next := f.gcs.waitMode(from, 1, px4sim.ModeAutoTakeoff)
	_, next = f.gcs.waitMode(next, 1, px4sim.ModeAutoLoiter)

	lostAt := f.gcs.vehicleTime()
	gcsHB.close() // the ground station goes away
	// Nobody hears "Connection to ground station lost" or "Failsafe
	// activated": no link has a ground station any more (fact 2). What is
	// left to see is what the vehicle does: the failsafe's Hold
	// (system_status CRITICAL), then the action.
	_, next = f.gcs.heartbeatFrom(next, 1, "failsafe (CRITICAL)", func(hb *common.MessageHeartbeat) bool {
		return hb.SystemStatus == common.MAV_STATE_CRITICAL
	})
	// Heartbeats come once a vehicle second, so the loss is seen to that
	// resolution.
	if d := f.gcs.vehicleTime() - lostAt; d < 2*time.Second || d > 6*time.Second {
		t.Errorf("failsafe %v after the last GCS heartbeat, want about COM_DL_LOSS_T=3s", d)
	}
	hb, next := f.gcs.waitMode(next, 1, px4sim.ModeAutoRTL)
	if hb.SystemStatus != common.MAV_STATE_CRITICAL {
		t.Errorf("system_status during failsafe %v, want CRITICAL", hb.SystemStatus)
	}
	f.gcs.waitArmed(next, 1, false)

	// A ground station that comes back hears that it is back; the texts
	// logged more than 5 s ago were dropped.
	apiFrom := f.api.cursor()
	newClient(t, listenLoopback(t), f.sim.APIAddr(), clientOpts{sysid: 250, heartbeatType: int(common.MAV_TYPE_GCS), heartbeatHz: 20})
	f.api.waitText(apiFrom, "GCS connection regained")
	for _, lost := range []string{"Connection to ground station lost", "Failsafe activated"} {
		if f.api.hasText(lost) || f.gcs.hasText(lost) {
			t.Errorf("%q reached a link that had no ground station when it was said", lost)
		}
	}
	if st := f.sim.APIStats(); st.TextsDropped == 0 {
		t.Error("no stale text was dropped from the API link's queue")
	}
}

func TestFleetHasDistinctSystemsWithoutCrossTalk(t *testing.T) {
	t.Parallel()
	shared := listenLoopback(t) // one ground station port for every GCS link, like QGC on 14550
	gs := newClient(t, shared, nil, clientOpts{sysid: 255})
	fleet, err := px4sim.NewFleet(px4sim.Config{
		SpeedFactor: 10,
		GCS:         px4sim.LinkConfig{Bind: "127.0.0.1:0", Remote: shared.LocalAddr().String()},
		API:         px4sim.LinkConfig{Bind: "127.0.0.1:0", Remote: px4sim.NoRemote},
	}, 3)
	if err != nil {
		t.Fatal(err)
	}
	defer fleet.Close()
	if err := fleet.Start(); err != nil {
		t.Fatal(err)
	}
	apis := make([]*client, 3)
	for i, s := range fleet.Sims {
		if s.SystemID() != uint8(i+1) {
			t.Fatalf("vehicle %d has system id %d", i, s.SystemID())
		}
		apis[i] = newClient(t, listenLoopback(t), s.APIAddr(), clientOpts{sysid: 245})
		apis[i].send(&common.MessageHeartbeat{Type: common.MAV_TYPE_ONBOARD_CONTROLLER, Autopilot: common.MAV_AUTOPILOT_INVALID})
	}
	for i := range apis {
		gs.heartbeatFrom(0, uint8(i+1), "heartbeat", func(*common.MessageHeartbeat) bool { return true })
		gs.waitReady(0, uint8(i+1))
	}

	// A command for system 3 sent to vehicle 1 is not for vehicle 1.
	from1 := apis[0].cursor()
	apis[0].send(&common.MessageCommandLong{TargetSystem: 3, TargetComponent: 1, Command: common.MAV_CMD_COMPONENT_ARM_DISARM, Param1: 1})
	// Arm vehicle 2 through its own link.
	from := gs.cursor()
	if got := apis[1].commandLong(2, common.MAV_CMD_COMPONENT_ARM_DISARM, 1, 1); got[0] != common.MAV_RESULT_ACCEPTED {
		t.Fatalf("arm vehicle 2: %v", got)
	}
	gs.waitArmed(from, 2, true)
	// Give vehicle 1 two seconds of its own time to (wrongly) answer.
	apis[0].waitVehicleTime(apis[0].vehicleTime() + 2*time.Second)
	for _, r := range apis[0].snapshot()[from1:] {
		if a, ok := r.fr.GetMessage().(*common.MessageCommandAck); ok && a.Command == common.MAV_CMD_COMPONENT_ARM_DISARM {
			t.Errorf("vehicle %d acknowledged a command for system 3", r.fr.GetSystemID())
		}
	}
	for _, sys := range []uint8{1, 3} {
		hb, _ := gs.heartbeatFrom(gs.cursor(), sys, "heartbeat", func(*common.MessageHeartbeat) bool { return true })
		if hb.BaseMode&common.MAV_MODE_FLAG_SAFETY_ARMED != 0 {
			t.Errorf("vehicle %d armed", sys)
		}
	}
	for _, r := range apis[1].snapshot() {
		if r.fr.GetSystemID() != 2 {
			t.Fatalf("vehicle 2's link carried a frame from system %d", r.fr.GetSystemID())
		}
	}
}

func TestCloseReleasesGoroutinesAndPorts(t *testing.T) {
	before := runtime.NumGoroutine()
	sim, err := px4sim.New(px4sim.Config{
		SpeedFactor: 20,
		GCS:         px4sim.LinkConfig{Bind: "127.0.0.1:0", Remote: px4sim.NoRemote},
		API:         px4sim.LinkConfig{Bind: "127.0.0.1:0", Remote: px4sim.NoRemote},
	})
	if err != nil {
		t.Fatal(err)
	}
	gcs, api := sim.GCSAddr(), sim.APIAddr()
	if err := sim.Start(); err != nil {
		t.Fatal(err)
	}
	if err := sim.Close(); err != nil {
		t.Fatal(err)
	}
	if err := sim.Close(); err != nil {
		t.Fatal("second Close:", err)
	}
	for _, a := range []*net.UDPAddr{gcs, api} {
		c, err := net.ListenUDP("udp4", a)
		if err != nil {
			t.Fatalf("port %v still held: %v", a, err)
		}
		c.Close()
	}
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before {
		if time.Now().After(deadline) {
			t.Fatalf("%d goroutines before, %d after Close", before, runtime.NumGoroutine())
		}
		runtime.Gosched()
	}
}
