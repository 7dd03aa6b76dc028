package px4sim

import (
	"fmt"
	"math"
)

// MAV_CMD values the commander handles.
const (
	cmdNavReturnToLaunch = 20
	cmdNavLand           = 21
	cmdNavTakeoff        = 22
	cmdDoSetMode         = 176
	cmdDoReposition      = 192
	cmdComponentArm      = 400
)

// MAV_RESULT values.
const (
	resultAccepted            = 0
	resultTemporarilyRejected = 1
	resultDenied              = 2
	resultUnsupported         = 3
	resultFailed              = 4
)

// forceMagic in COMPONENT_ARM_DISARM param2 forces the transition.
const forceMagic = 21196

// command is a COMMAND_LONG or COMMAND_INT, normalised: for COMMAND_INT,
// params 5 and 6 are degrees and param 7 is AMSL.
type command struct {
	id              uint16
	p               [7]float64
	sourceSystem    uint8
	sourceComponent uint8
}

// handleCommand runs a command through PX4's commander and returns the
// COMMAND_ACK results in the order PX4 sends them.
func (v *vehicle) handleCommand(c command) []uint8 {
	switch c.id {
	case cmdComponentArm:
		return []uint8{v.armDisarmCommand(c)}
	case cmdNavTakeoff:
		alt := v.takeoffAltitudeIfAllowed(c.p[6])
		if !v.modeChangeAllowed(ModeAutoTakeoff) {
			v.printRejectMode(ModeAutoTakeoff)
			return []uint8{resultTemporarilyRejected}
		}
		v.nav.takeoffD = v.origin.alt - alt
		v.nav.takeoffOK = true
		v.requestMode(ModeAutoTakeoff)
		return []uint8{resultAccepted}
	case cmdNavLand:
		if !v.requestMode(ModeAutoLand) {
			v.printRejectMode(ModeAutoLand)
			return []uint8{resultTemporarilyRejected}
		}
		v.say(severityInfo, "Landing at current position")
		return []uint8{resultAccepted}
	case cmdNavReturnToLaunch:
		if !v.requestMode(ModeAutoRTL) {
			v.printRejectMode(ModeAutoRTL)
			return []uint8{resultTemporarilyRejected}
		}
		v.say(severityInfo, "Returning to launch")
		return []uint8{resultAccepted}
	case cmdDoReposition:
		return []uint8{v.repositionCommand(c)}
	case cmdDoSetMode:
		// PX4 acknowledges DO_SET_MODE twice: an unconditional ACCEPTED,
		// then commander's actual result.
		return []uint8{resultAccepted, v.setModeCommand(c)}
	}
	return []uint8{resultUnsupported}
}

// takeoffAltitudeIfAllowed computes the take-off altitude; it is only
// computed (and its STATUSTEXT only sent) when the mode change will pass.
func (v *vehicle) takeoffAltitudeIfAllowed(requested float64) float64 {
	if !v.modeChangeAllowed(ModeAutoTakeoff) {
		return math.NaN()
	}
	return v.takeoffAltitude(requested)
}

func (v *vehicle) armDisarmCommand(c command) uint8 {
	action := math.Round(c.p[0])
	forced := math.Round(c.p[1]) == forceMagic
	switch action {
	case 1:
		if v.armed {
			return resultAccepted
		}
		// Checks always run for external commands, even with the force
		// magic (Commander::handle_command: arm(reason, from_external || !forced)).
		if !v.canArm() {
			v.say(severityCritical, "Arming denied: Resolve system health failures first"+eventTab)
			return resultTemporarilyRejected
		}
		v.arm()
		return resultAccepted
	case 0:
		if !v.armed {
			return resultAccepted
		}
		if !forced && !v.landed {
			v.say(severityCritical, "Disarming denied: not landed"+eventTab)
			return resultTemporarilyRejected
		}
		v.disarm("external command")
		return resultAccepted
	}
	v.say(severityError, fmt.Sprintf("Unsupported ARM_DISARM param: %.3f", c.p[0]))
	return resultUnsupported
}

// severityError is MAV_SEVERITY_ERROR.
const severityError = 3

// canRun is HealthAndArmingChecks::canRun for a mode on this vehicle: SITL
// has no RC, no offboard setpoint stream and no mission.
func (v *vehicle) canRun(m Mode) bool {
	switch m {
	case ModeAutoLoiter, ModeAutoLand, ModeAutoTakeoff:
		return v.estimatorReady
	case ModeAutoRTL:
		return v.estimatorReady && v.home.valid
	}
	return false // manual family (no RC), OFFBOARD (no setpoints), MISSION (no mission)
}

// preventsArming is mode_req_prevent_arming.
func (m Mode) preventsArming() bool { return m == ModeAutoRTL || m == ModeAutoLand }

// canArm is HealthAndArmingChecks::canArm for the current mode.
func (v *vehicle) canArm() bool {
	return v.estimatorReady && v.gcsCheckPasses() && v.canRun(v.mode) && !v.mode.preventsArming()
}

func (v *vehicle) arm() {
	v.armed = true
	v.armedAt = v.now
	v.tookOff = false
	v.fs.reset()
	v.say(severityInfo, "Armed by external command"+eventTab)
	// COM_HOME_EN: home is set where the vehicle arms (and again at the
	// take-off, see updateLandDetector).
	v.setHome()
	if v.mode == ModeAutoTakeoff {
		est := v.estimated()
		v.nav.target.n, v.nav.target.e = est.n, est.e
	}
}

func (v *vehicle) disarm(reason string) {
	v.armed = false
	v.tookOff = false
	v.fs.reset()
	v.say(severityInfo, "Disarmed by "+reason+eventTab)
	// UserModeIntention::onDisarm: back to the last mode that does not
	// prevent arming and is not a take-off.
	v.enterMode(v.modeAfterDisarm)
}

// modeChangeAllowed is UserModeIntention::change's check: any mode while
// disarmed, only runnable modes while armed.
func (v *vehicle) modeChangeAllowed(m Mode) bool {
	return !v.armed || v.canRun(m)
}

// requestMode is a mode change the user asked for (a command). It takes
// over from a running failsafe.
func (v *vehicle) requestMode(m Mode) bool {
	if !v.modeChangeAllowed(m) {
		return false
	}
	v.fs.userTakeover(v)
	v.setUserMode(m)
	return true
}

// setUserMode changes the user-intended mode and the mode after disarming.
func (v *vehicle) setUserMode(m Mode) {
	v.enterMode(m)
	if !m.preventsArming() && m != ModeAutoTakeoff {
		v.modeAfterDisarm = m
	}
}

// printRejectMode is PX4's "Switching to X is currently not possible".
func (v *vehicle) printRejectMode(m Mode) {
	v.say(severityCritical, fmt.Sprintf("Switching to %s is currently not possible", m.rejectName()))
}

// setModeCommand decodes DO_SET_MODE like Commander::handle_command.
func (v *vehicle) setModeCommand(c command) uint8 {
	base := uint8(c.p[0])
	main := uint32(uint8(c.p[1]))
	sub := uint32(uint8(c.p[2]))
	var want Mode
	switch {
	case base&flagCustomModeEnabled != 0:
		switch main {
		case mainManual, mainAltctl, mainAcro, mainStabilized, mainOffboard:
			want = makeMode(main, 0)
		case mainPosctl:
			want = ModePosctl
		case mainAuto:
			switch sub {
			case 0, subAutoMission:
				want = ModeAutoMission
			case subAutoTakeoff, subAutoLoiter, subAutoRTL, subAutoLand:
				want = makeMode(mainAuto, sub)
			default:
				v.say(severityCritical, "Unsupported auto mode")
				return resultTemporarilyRejected
			}
		default:
			return resultAccepted // unknown main mode: nothing changes
		}
	case base&flagAutoEnabled != 0:
		want = ModeAutoMission
	case base&flagManualInputEnabled != 0:
		switch {
		case base&flagGuidedEnabled != 0:
			want = ModePosctl
		case base&flagStabilizeEnabled != 0:
			want = ModeStabilized
		default:
			want = ModeManual
		}
	default:
		return resultAccepted
	}
	if !v.requestMode(want) {
		if c.sourceComponent == 190 { // MAV_COMP_ID_MISSIONPLANNER
			v.printRejectMode(want)
		}
		return resultTemporarilyRejected
	}
	return resultAccepted
}

// repositionCommand is DO_REPOSITION: switch to Hold and fly to the
// position (param5/6 degrees, param7 AMSL; NaN keeps the current value).
func (v *vehicle) repositionCommand(c command) uint8 {
	flags := uint32(c.p[1])
	if flags&1 == 0 || flags&^1 != 0 {
		return resultUnsupported
	}
	if !v.requestMode(ModeAutoLoiter) {
		v.printRejectMode(ModeAutoLoiter)
		return resultTemporarilyRejected
	}
	if v.landed {
		return resultAccepted
	}
	target := v.nav.target
	if lat, lon := c.p[4], c.p[5]; finite(lat) && finite(lon) {
		target.n, target.e = v.origin.toLocal(lat, lon)
	}
	if alt := c.p[6]; finite(alt) {
		target.d = math.Min(v.origin.alt-alt, 0)
	}
	v.nav.target = target
	return resultAccepted
}

func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }
