package vehiclebridge

import (
	"math"
	"time"

	"github.com/bluenviron/gomavlib/v3/pkg/dialects/common"

	"github.com/wasmbed/wasmbed/sut/abi"
)

// Telemetry forwarding: which MAVLink messages become which app topics
// (sut/abi/telemetry.go has the payload layouts), and how often.
//
// A simulated vehicle may run many times faster than wall time, and even a
// real PX4 streams ATTITUDE and positions at 50-100 Hz: far more than an
// app on a small device wants or its 16-message mailbox holds. So each
// topic is throttled in wall time. State topics (heartbeat, landed) are
// also forwarded at once whenever their state changes, so an app never
// misses a transition such as armed → disarmed; text and link changes are
// never throttled. Every payload carries the vehicle's own time_boot_ms,
// so an app measures vehicle time however many samples it is given.

// telemetryPolicy is how often a topic may be delivered.
type telemetryPolicy struct {
	// every is the minimum wall time between two deliveries; 0 means no
	// throttling.
	every time.Duration
	// onChange delivers at once when the topic's state changes.
	onChange bool
}

// Default wall-time limits per topic. fastEvery is the default for the
// high-rate topics (Options.TelemetryRate overrides it).
const (
	fastEvery  = 40 * time.Millisecond // 25 Hz
	stateEvery = 500 * time.Millisecond
	slowEvery  = time.Second
)

func telemetryPolicies(fast time.Duration) map[string]telemetryPolicy {
	return map[string]telemetryPolicy{
		abi.TopicVehicleHeartbeat:      {every: stateEvery, onChange: true},
		abi.TopicVehicleLanded:         {every: stateEvery, onChange: true},
		abi.TopicVehicleAttitude:       {every: fast},
		abi.TopicVehicleLocalPosition:  {every: fast},
		abi.TopicVehicleGlobalPosition: {every: fast},
		abi.TopicVehicleBattery:        {every: slowEvery},
		abi.TopicVehicleStatusText:     {},
		abi.TopicVehicleLink:           {every: slowEvery, onChange: true},
	}
}

// throttle decides, per topic, whether a sample goes out now.
type throttle struct {
	policies map[string]telemetryPolicy
	last     map[string]time.Time
	state    map[string]uint64 // last forwarded state of onChange topics
}

func newThrottle(fast time.Duration) *throttle {
	return &throttle{policies: telemetryPolicies(fast), last: map[string]time.Time{}, state: map[string]uint64{}}
}

// allow reports whether a sample of topic with the given state (for
// onChange topics) may be delivered at now, and records it if so.
func (t *throttle) allow(topic string, state uint64, now time.Time) bool {
	p := t.policies[topic]
	last, seen := t.last[topic]
	changed := p.onChange && (!seen || t.state[topic] != state)
	if !changed && seen && now.Sub(last) < p.every {
		return false
	}
	t.last[topic] = now
	t.state[topic] = state
	return true
}

// telemetrySample is one payload to deliver.
type telemetrySample struct {
	topic   string
	payload []byte
	state   uint64 // for onChange topics
}

// heartbeatState packs what makes a heartbeat "changed".
func heartbeatState(m *common.MessageHeartbeat) uint64 {
	return uint64(m.CustomMode)<<32 | uint64(m.BaseMode)<<8 | uint64(m.SystemStatus)
}

func f32OrNaN(v float64, ok bool) float32 {
	if !ok {
		return float32(math.NaN())
	}
	return float32(v)
}

// encodeGlobalPosition converts GLOBAL_POSITION_INT.
func encodeGlobalPosition(m *common.MessageGlobalPositionInt) []byte {
	return abi.GlobalPosition{
		TimeBootMs: m.TimeBootMs, LatE7: m.Lat, LonE7: m.Lon,
		AltAMSL: float32(m.Alt) / 1000, RelativeAlt: float32(m.RelativeAlt) / 1000,
		VX: float32(m.Vx) / 100, VY: float32(m.Vy) / 100, VZ: float32(m.Vz) / 100,
		Heading: f32OrNaN(float64(m.Hdg)/100, m.Hdg != math.MaxUint16),
	}.Append(make([]byte, 0, abi.GlobalPositionSize))
}

func encodeLocalPosition(m *common.MessageLocalPositionNed) []byte {
	return abi.LocalPosition{TimeBootMs: m.TimeBootMs, X: m.X, Y: m.Y, Z: m.Z, VX: m.Vx, VY: m.Vy, VZ: m.Vz}.
		Append(make([]byte, 0, abi.LocalPositionSize))
}

func encodeAttitude(m *common.MessageAttitude) []byte {
	return abi.Attitude{TimeBootMs: m.TimeBootMs, Roll: m.Roll, Pitch: m.Pitch, Yaw: m.Yaw,
		RollSpeed: m.Rollspeed, PitchSpeed: m.Pitchspeed, YawSpeed: m.Yawspeed}.
		Append(make([]byte, 0, abi.AttitudeSize))
}

// encodeBatteryStatus converts BATTERY_STATUS: the cell voltages summed
// (UINT16_MAX marks an absent cell), current in cA, remaining in percent
// (-1 unknown).
func encodeBatteryStatus(m *common.MessageBatteryStatus, timeBoot uint32) []byte {
	total, cells := 0.0, 0
	for _, mv := range m.Voltages {
		if mv != math.MaxUint16 {
			total += float64(mv) / 1000
			cells++
		}
	}
	for _, mv := range m.VoltagesExt {
		if mv != 0 && mv != math.MaxUint16 {
			total += float64(mv) / 1000
		}
	}
	return abi.Battery{
		TimeBootMs: timeBoot,
		Voltage:    f32OrNaN(total, cells > 0),
		Current:    f32OrNaN(float64(m.CurrentBattery)/100, m.CurrentBattery != -1),
		Remaining:  f32OrNaN(float64(m.BatteryRemaining)/100, m.BatteryRemaining >= 0),
	}.Append(make([]byte, 0, abi.BatterySize))
}

// encodeSysStatusBattery converts SYS_STATUS's battery fields, for
// vehicles that send no BATTERY_STATUS.
func encodeSysStatusBattery(m *common.MessageSysStatus, timeBoot uint32) []byte {
	return abi.Battery{
		TimeBootMs: timeBoot,
		Voltage:    f32OrNaN(float64(m.VoltageBattery)/1000, m.VoltageBattery != math.MaxUint16),
		Current:    f32OrNaN(float64(m.CurrentBattery)/100, m.CurrentBattery != -1),
		Remaining:  f32OrNaN(float64(m.BatteryRemaining)/100, m.BatteryRemaining >= 0),
	}.Append(make([]byte, 0, abi.BatterySize))
}
