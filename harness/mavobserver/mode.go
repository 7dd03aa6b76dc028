package mavobserver

import "fmt"

// autopilotPX4 is MAV_AUTOPILOT_PX4.
const autopilotPX4 = 12

// PX4ModeName decodes a PX4 HEARTBEAT.custom_mode (main mode in bits
// 16-23, sub mode in bits 24-31, per PX4's px4_custom_mode.h) into the
// name QGroundControl and MAVSDK use, e.g. "AUTO.LOITER" or "POSCTL".
// Unknown values give "UNKNOWN(0x...)".
func PX4ModeName(customMode uint32) string {
	main := (customMode >> 16) & 0xff
	sub := (customMode >> 24) & 0xff
	switch main {
	case 1:
		return "MANUAL"
	case 2:
		return "ALTCTL"
	case 3:
		if sub == 2 {
			return "POSCTL.SLOW"
		}
		return "POSCTL"
	case 4:
		switch sub {
		case 1:
			return "AUTO.READY"
		case 2:
			return "AUTO.TAKEOFF"
		case 3:
			return "AUTO.LOITER"
		case 4:
			return "AUTO.MISSION"
		case 5:
			return "AUTO.RTL"
		case 6:
			return "AUTO.LAND"
		case 8:
			return "AUTO.FOLLOW_TARGET"
		case 9:
			return "AUTO.PRECLAND"
		case 10:
			return "AUTO.VTOL_TAKEOFF"
		}
	case 5:
		return "ACRO"
	case 6:
		return "OFFBOARD"
	case 7:
		return "STABILIZED"
	}
	return fmt.Sprintf("UNKNOWN(0x%08x)", customMode)
}

// LandedState is EXTENDED_SYS_STATE.landed_state (MAV_LANDED_STATE).
type LandedState uint8

// MAV_LANDED_STATE values.
const (
	LandedUndefined LandedState = 0
	LandedOnGround  LandedState = 1
	LandedInAir     LandedState = 2
	LandedTakeoff   LandedState = 3
	LandedLanding   LandedState = 4
)

// String names the state like MAV_LANDED_STATE without its prefix.
func (s LandedState) String() string {
	switch s {
	case LandedUndefined:
		return "UNDEFINED"
	case LandedOnGround:
		return "ON_GROUND"
	case LandedInAir:
		return "IN_AIR"
	case LandedTakeoff:
		return "TAKEOFF"
	case LandedLanding:
		return "LANDING"
	}
	return fmt.Sprintf("LandedState(%d)", uint8(s))
}
