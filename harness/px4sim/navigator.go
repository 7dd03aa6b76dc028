package px4sim

import (
	"fmt"
	"math"
)

// RTL phases, like PX4's rtl_direct.
const (
	rtlClimb = iota
	rtlReturn
	rtlDescend
	rtlLand
)

// navigator holds what PX4's navigator module plans for the current mode.
type navigator struct {
	target    vec3    // hold / reposition / take-off position
	takeoffD  float64 // take-off target, local down (negative up)
	takeoffOK bool    // takeoffD was set by a command for this take-off
	rtlPhase  int
	rtlD      float64 // RTL return altitude, local down
	rtlDescD  float64 // RTL descend altitude, local down
}

// enterMode switches the navigation state and sets up the mode's plan.
// It does not touch the user intention (see requestMode).
func (v *vehicle) enterMode(m Mode) {
	v.mode = m
	here := v.estimated()
	switch m {
	case ModeAutoTakeoff:
		if !v.nav.takeoffOK {
			v.nav.takeoffD = v.origin.alt - v.takeoffAltitude(math.NaN())
		}
		v.nav.takeoffOK = false
		v.nav.target = vec3{here.n, here.e, v.nav.takeoffD}
	case ModeAutoRTL:
		v.startRTL()
	default:
		v.nav.target = here
	}
}

// takeoffAltitude is navigator's take-off altitude (AMSL) for a requested
// one: never below MIS_TAKEOFF_ALT above the current altitude.
func (v *vehicle) takeoffAltitude(requested float64) float64 {
	minAlt := v.estAltAMSL() + paramTakeoffMinAlt
	msg := fmt.Sprintf("Using minimum takeoff altitude: %.2f m", paramTakeoffMinAlt)
	if math.IsNaN(requested) || math.IsInf(requested, 0) {
		v.say(severityInfo, msg)
		return minAlt
	}
	if requested < minAlt {
		if requested < minAlt-0.1 {
			v.say(severityCritical, msg)
		}
		return minAlt
	}
	return requested
}

// startRTL computes the return altitude like PX4's
// calculate_return_alt_from_cone_half_angle and starts climbing.
func (v *vehicle) startRTL() {
	home := v.home.pos
	est := v.estimated()
	dist := math.Hypot(est.n-home.n, est.e-home.e)
	homeAlt := -home.d // height of home above the origin
	ret := homeAlt + paramRTLReturnAlt
	if dist <= paramAcceptRad {
		ret = homeAlt + 2*dist
	} else {
		if dist <= paramRTLMinDist {
			h := dist / math.Tan(paramRTLConeAngle*math.Pi/180)
			ret = math.Min(homeAlt+h, ret)
		}
		ret = math.Max(ret, homeAlt+2*paramAcceptRad)
	}
	ret = math.Max(ret, -est.d)
	v.nav.rtlD = -ret
	v.nav.rtlDescD = -math.Min(homeAlt+paramRTLDescendAlt, ret)
	v.nav.rtlPhase = rtlClimb
	v.nav.target = vec3{est.n, est.e, v.nav.rtlD}
	if v.landed {
		v.nav.rtlPhase = rtlLand
	}
}

// landSpeed is PX4's descent speed for the height above ground: fast high
// up, MPC_LAND_SPEED near the ground.
func landSpeed(agl float64) float64 {
	switch {
	case agl >= paramLandAlt1:
		return paramZDown
	case agl <= paramLandAlt2:
		return paramLandSpeed
	}
	f := (agl - paramLandAlt2) / (paramLandAlt1 - paramLandAlt2)
	return paramLandSpeed + f*(paramZDown-paramLandSpeed)
}

// navigate produces the setpoint for the current mode and advances the
// mode's own transitions (take-off complete, RTL phases), from the
// estimated position, as PX4's navigator does.
func (v *vehicle) navigate() setpoint {
	est := v.estimated()
	hold := setpoint{target: v.nav.target, holdZ: true, vxyMax: paramXYCruise, vUp: paramZUp, vDown: paramZDown}
	if !v.armed {
		return setpoint{idle: true}
	}
	switch v.mode {
	case ModeAutoTakeoff:
		sp := hold
		sp.vUp = paramTakeoffSpeed
		if !v.landed && math.Abs(est.d-v.nav.takeoffD) < paramAltAcceptRad {
			// Take-off complete: PX4 switches to Hold at the take-off
			// position.
			target := v.nav.target
			v.setUserMode(ModeAutoLoiter)
			v.nav.target = target
		}
		return sp
	case ModeAutoLand:
		if v.landed {
			return setpoint{idle: true}
		}
		return setpoint{target: v.nav.target, vz: landSpeed(-est.d), vxyMax: paramXYCruise}
	case ModeAutoRTL:
		return v.navigateRTL(est)
	default:
		if v.landed {
			return setpoint{idle: true}
		}
		return hold
	}
}

func (v *vehicle) navigateRTL(est vec3) setpoint {
	if v.landed && (v.nav.rtlPhase == rtlLand || !v.tookOff) {
		return setpoint{idle: true}
	}
	home := v.home.pos
	sp := setpoint{holdZ: true, vxyMax: paramXYCruise, vUp: paramZUp, vDown: paramZDown}
	switch v.nav.rtlPhase {
	case rtlClimb:
		sp.target = vec3{v.nav.target.n, v.nav.target.e, v.nav.rtlD}
		if est.d <= v.nav.rtlD+0.5 {
			v.nav.rtlPhase = rtlReturn
		}
	case rtlReturn:
		sp.target = vec3{home.n, home.e, v.nav.rtlD}
		if math.Hypot(est.n-home.n, est.e-home.e) < paramAcceptRad {
			v.nav.rtlPhase = rtlDescend
		}
	case rtlDescend:
		sp.target = vec3{home.n, home.e, v.nav.rtlDescD}
		if est.d >= v.nav.rtlDescD-0.5 {
			v.nav.rtlPhase = rtlLand
		}
	default:
		return setpoint{target: vec3{home.n, home.e, 0}, vz: landSpeed(home.d - est.d), vxyMax: paramXYCruise}
	}
	return sp
}
