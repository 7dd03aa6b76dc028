package px4sim

import "math"

// Land detector thresholds (roughly PX4's MulticopterLandDetector).
const (
	takeoffDetectAGL = 0.3  // m above ground: airborne
	landDetectAGL    = 0.05 // m
	landDetectVz     = 0.1  // m/s
	landDetectVxy    = 0.3  // m/s
)

// updateLandDetector decides landed/airborne and reports the transitions
// like Commander does ("Takeoff detected", "Landing detected").
func (v *vehicle) updateLandDetector() {
	agl := -v.pos.d
	if v.landed {
		if v.armed && agl > takeoffDetectAGL {
			v.landed = false
			v.landCandidate = -1
			v.tookOff = true
			v.say(severityInfo, "Takeoff detected"+eventTab)
			// Commander::landDetectorUpdate: COM_HOME_EN sets home again
			// when the take-off is detected (fact 5).
			v.setHome()
		}
		return
	}
	if agl < landDetectAGL && math.Abs(v.vel.d) < landDetectVz && v.vel.horizontalNorm() < landDetectVxy {
		if v.landCandidate < 0 {
			v.landCandidate = v.now
		}
		if v.now-v.landCandidate >= us(paramLandDetect) {
			v.landed = true
			v.landedAt = v.now
			v.landCandidate = -1
			if v.armed {
				v.say(severityInfo, "Landing detected"+eventTab)
			}
		}
		return
	}
	v.landCandidate = -1
}

// updateAutoDisarm is COM_DISARM_LAND after a flight and COM_DISARM_PRFLT
// when the vehicle was armed but never took off.
func (v *vehicle) updateAutoDisarm() {
	if !v.armed {
		return
	}
	switch {
	case v.tookOff && v.landed && v.now-v.landedAt >= us(paramDisarmLand):
		v.disarm("landing")
	case !v.tookOff && v.cfg.PreflightDisarm > 0 && v.now-v.armedAt >= us(v.cfg.PreflightDisarm):
		v.disarm("auto preflight disarming")
	}
}
