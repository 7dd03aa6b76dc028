package mavobserver

import (
	"maps"
	"slices"
	"strings"
	"time"
)

// StatusText is a complete STATUSTEXT (chunks reassembled).
type StatusText struct {
	// Seq numbers the vehicle's texts from 1 in arrival order.
	Seq      int
	Severity uint8
	Text     string
	// TimeBoot is the vehicle's clock when it arrived (the latest
	// time_boot_ms seen from the vehicle).
	TimeBoot time.Duration
	Received time.Time
}

// Vehicle is what the observer knows about one system. It is a snapshot:
// fields are copies.
type Vehicle struct {
	SystemID uint8

	// From HEARTBEAT.
	Type          uint8  // MAV_TYPE
	Autopilot     uint8  // MAV_AUTOPILOT
	BaseMode      uint8  // MAV_MODE_FLAG bits
	CustomMode    uint32 // autopilot-specific
	Mode          string // decoded for PX4 (e.g. "AUTO.LOITER"); empty for other autopilots
	Armed         bool   // MAV_MODE_FLAG_SAFETY_ARMED
	SystemStatus  uint8  // MAV_STATE
	Heartbeats    int
	LastHeartbeat time.Time // wall clock

	// From EXTENDED_SYS_STATE.
	LandedState    LandedState
	HasLandedState bool

	// From GLOBAL_POSITION_INT.
	Lat, Lon          float64 // degrees
	AltAMSL           float64 // metres above mean sea level
	AltRel            float64 // metres above home
	HasGlobalPosition bool

	// From LOCAL_POSITION_NED (metres from the estimator's origin, z down).
	North, East, Down float64
	VelN, VelE, VelD  float64 // m/s
	HasLocalPosition  bool

	// ReadyToArm is SYS_STATUS's MAV_SYS_STATUS_PREARM_CHECK bit present,
	// enabled and healthy: the pre-arm checks pass. This is how PX4 tells a
	// ground station it is ready; its "Ready for takeoff!" goes only to its
	// console (issue 18, fact 1).
	ReadyToArm   bool
	HasSysStatus bool

	// From BATTERY_STATUS, or SYS_STATUS before any BATTERY_STATUS.
	BatteryRemaining int     // percent; -1 unknown
	BatteryVoltage   float64 // volts; 0 unknown

	// From HOME_POSITION.
	HomeLat, HomeLon, HomeAlt float64
	HasHome                   bool

	// TimeBoot is the latest time_boot_ms the vehicle sent: its own clock.
	// TimeBootAt is when (wall clock) it arrived.
	TimeBoot   time.Duration
	TimeBootAt time.Time

	// StatusTexts are the latest texts (Config.MaxStatusTexts of them);
	// TextCount counts all texts ever received.
	StatusTexts   []StatusText
	TextCount     int
	MessageCounts map[uint32]int // by message id
}

// IsAutopilot reports whether the system's heartbeat is a flight
// controller's (not a ground station, companion or camera).
func (v Vehicle) IsAutopilot() bool {
	return v.Heartbeats > 0 && v.Autopilot != 8 // MAV_AUTOPILOT_INVALID
}

// HasText reports whether a STATUSTEXT containing s has been received.
func (v Vehicle) HasText(s string) bool {
	_, ok := v.Text(s)
	return ok
}

// Text returns the first STATUSTEXT containing s.
func (v Vehicle) Text(s string) (StatusText, bool) { return v.TextAfter(s, 0) }

// TextAfter returns the first STATUSTEXT containing s whose Seq is
// greater than seq (pass a TextCount taken earlier to see only newer
// texts).
func (v Vehicle) TextAfter(s string, seq int) (StatusText, bool) {
	for _, t := range v.StatusTexts {
		if t.Seq > seq && strings.Contains(t.Text, s) {
			return t, true
		}
	}
	return StatusText{}, false
}

func (v *Vehicle) clone() Vehicle {
	c := *v
	c.StatusTexts = slices.Clone(v.StatusTexts)
	c.MessageCounts = maps.Clone(v.MessageCounts)
	return c
}
