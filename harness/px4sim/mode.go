package px4sim

import "fmt"

// Mode is a PX4 flight mode as carried in HEARTBEAT.custom_mode: the main
// mode in bits 16-23 and the sub mode in bits 24-31.
type Mode uint32

// PX4 main modes (px4_custom_mode.h).
const (
	mainManual     = 1
	mainAltctl     = 2
	mainPosctl     = 3
	mainAuto       = 4
	mainAcro       = 5
	mainOffboard   = 6
	mainStabilized = 7
)

// PX4 AUTO sub modes (px4_custom_mode.h).
const (
	subAutoTakeoff = 2
	subAutoLoiter  = 3
	subAutoMission = 4
	subAutoRTL     = 5
	subAutoLand    = 6
)

func makeMode(main, sub uint32) Mode { return Mode(main<<16 | sub<<24) }

// The modes the simulator implements, with the custom_mode values a real
// PX4 v1.16 reports.
const (
	ModeManual      Mode = mainManual << 16                  // 0x00010000
	ModeAltctl      Mode = mainAltctl << 16                  // 0x00020000
	ModePosctl      Mode = mainPosctl << 16                  // 0x00030000
	ModeAutoTakeoff Mode = mainAuto<<16 | subAutoTakeoff<<24 // 0x02040000
	ModeAutoLoiter  Mode = mainAuto<<16 | subAutoLoiter<<24  // 0x03040000
	ModeAutoMission Mode = mainAuto<<16 | subAutoMission<<24 // 0x04040000
	ModeAutoRTL     Mode = mainAuto<<16 | subAutoRTL<<24     // 0x05040000
	ModeAutoLand    Mode = mainAuto<<16 | subAutoLand<<24    // 0x06040000
	ModeAcro        Mode = mainAcro << 16                    // 0x00050000
	ModeOffboard    Mode = mainOffboard << 16                // 0x00060000
	ModeStabilized  Mode = mainStabilized << 16              // 0x00070000
)

// Main is the PX4 main mode.
func (m Mode) Main() uint8 { return uint8(m >> 16) }

// Sub is the PX4 sub mode.
func (m Mode) Sub() uint8 { return uint8(m >> 24) }

// String is the mode's name as QGroundControl and MAVSDK spell it, e.g.
// "AUTO.LOITER".
func (m Mode) String() string {
	switch m {
	case ModeManual:
		return "MANUAL"
	case ModeAltctl:
		return "ALTCTL"
	case ModePosctl:
		return "POSCTL"
	case ModeAutoTakeoff:
		return "AUTO.TAKEOFF"
	case ModeAutoLoiter:
		return "AUTO.LOITER"
	case ModeAutoMission:
		return "AUTO.MISSION"
	case ModeAutoRTL:
		return "AUTO.RTL"
	case ModeAutoLand:
		return "AUTO.LAND"
	case ModeAcro:
		return "ACRO"
	case ModeOffboard:
		return "OFFBOARD"
	case ModeStabilized:
		return "STABILIZED"
	}
	return fmt.Sprintf("UNKNOWN(0x%08x)", uint32(m))
}

// manualFamily reports whether the mode needs manual control input (RC).
func (m Mode) manualFamily() bool {
	switch m {
	case ModeManual, ModeAltctl, ModePosctl, ModeStabilized, ModeAcro:
		return true
	}
	return false
}

// rejectName is the name PX4's printRejectMode uses.
func (m Mode) rejectName() string {
	switch m {
	case ModeManual:
		return "Manual"
	case ModeAltctl:
		return "Altitude"
	case ModePosctl:
		return "Position"
	case ModeAutoTakeoff:
		return "Takeoff"
	case ModeAutoLoiter:
		return "Hold"
	case ModeAutoMission:
		return "Mission"
	case ModeAutoRTL:
		return "Return"
	case ModeAutoLand:
		return "Land"
	case ModeAcro:
		return "Acro"
	case ModeOffboard:
		return "Offboard"
	case ModeStabilized:
		return "Stabilized"
	}
	return m.String()
}

// MAV_MODE_FLAG bits.
const (
	flagCustomModeEnabled  = 0x01
	flagAutoEnabled        = 0x04
	flagGuidedEnabled      = 0x08
	flagStabilizeEnabled   = 0x10
	flagManualInputEnabled = 0x40
	flagSafetyArmed        = 0x80
)

// baseMode is HEARTBEAT.base_mode as PX4's get_mavlink_navigation_mode
// computes it for a multicopter: 0x1d in AUTO modes and OFFBOARD, 0x51 in
// the manual family, plus 0x80 when armed.
func (m Mode) baseMode(armed bool) uint8 {
	b := uint8(flagCustomModeEnabled)
	switch {
	case m.manualFamily():
		b |= flagManualInputEnabled
		if m != ModeAcro {
			b |= flagStabilizeEnabled
		}
	default:
		b |= flagAutoEnabled | flagStabilizeEnabled | flagGuidedEnabled
	}
	if armed {
		b |= flagSafetyArmed
	}
	return b
}
