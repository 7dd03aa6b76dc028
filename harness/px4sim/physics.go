package px4sim

import "math"

// Controller constants: a velocity-controlled point mass whose position
// loop is critically damped, roughly like PX4's multicopter position
// controller with default gains.
const (
	gravity      = 9.80665
	gainXY       = 0.95 // MPC_XY_P
	gainZ        = 1.0  // MPC_Z_P
	velTau       = 0.3  // s, velocity response time constant
	accXYMax     = 3.0  // MPC_ACC_HOR, m/s²
	accZMax      = 4.0  // m/s²
	yawRateMax   = 45.0 * math.Pi / 180
	windTau      = 5.0  // s
	windSigma    = 0.15 // m/s², steady-state std dev of the gusts
	noiseTau     = 1.0  // s
	noiseSigmaXY = 0.02 // m
	noiseSigmaZ  = 0.03 // m
)

// setpoint is what the navigator asks the position controller for.
type setpoint struct {
	idle   bool // on the ground with motors idling: do not move
	target vec3 // position to track
	holdZ  bool // track target.d; otherwise fly at vz
	vz     float64
	vxyMax float64
	vUp    float64
	vDown  float64
}

// updateDisturbances advances the wind and sensor noise. Both are
// Ornstein-Uhlenbeck processes drawn from seeded generators once per step,
// so they never depend on which messages were sent.
func (v *vehicle) updateDisturbances(dt float64) {
	kw := math.Sqrt(2*dt/windTau) * windSigma
	v.wind.n += -v.wind.n*dt/windTau + kw*v.windRand.NormFloat64()
	v.wind.e += -v.wind.e*dt/windTau + kw*v.windRand.NormFloat64()

	kxy := math.Sqrt(2*dt/noiseTau) * noiseSigmaXY
	kz := math.Sqrt(2*dt/noiseTau) * noiseSigmaZ
	v.noise.n += -v.noise.n*dt/noiseTau + kxy*v.noiseRand.NormFloat64()
	v.noise.e += -v.noise.e*dt/noiseTau + kxy*v.noiseRand.NormFloat64()
	v.noise.d += -v.noise.d*dt/noiseTau + kz*v.noiseRand.NormFloat64()

	v.updateEstimator(dt)
}

// integrate applies the setpoint for one step.
func (v *vehicle) integrate(sp setpoint, dt float64) {
	prevRoll, prevPitch, prevYaw := v.roll, v.pitch, v.yaw

	v.lifting = v.armed && !(sp.idle && v.landed)
	switch {
	case !v.armed && v.pos.d < 0:
		// Disarmed in the air (only a forced disarm does that): it falls.
		v.acc = vec3{0, 0, gravity}
		v.vel.n, v.vel.e = 0, 0
		v.vel.d += gravity * dt
		v.pos.d += v.vel.d * dt
	case !v.armed || (sp.idle && v.landed):
		v.acc, v.vel = vec3{}, vec3{}
	default:
		v.control(sp, dt)
	}

	// The ground.
	if v.pos.d >= 0 {
		v.pos.d = 0
		if v.vel.d > 0 {
			v.vel.d = 0
		}
		if v.landed || !v.armed {
			v.vel.n, v.vel.e = 0, 0
		}
	}

	v.updateAttitude(dt)
	v.rollRate = (v.roll - prevRoll) / dt
	v.pitchRate = (v.pitch - prevPitch) / dt
	v.yawRate = wrapPi(v.yaw-prevYaw) / dt
}

// control is the position and velocity loop. Like PX4's, it acts on the
// estimated position: the setpoints are in the estimate's frame.
func (v *vehicle) control(sp setpoint, dt float64) {
	est := v.estimated()
	// Horizontal velocity command towards the target, limited in norm.
	cmd := vec3{gainXY * (sp.target.n - est.n), gainXY * (sp.target.e - est.e), 0}
	if h := cmd.horizontalNorm(); h > sp.vxyMax && h > 0 {
		cmd = cmd.scale(sp.vxyMax / h)
	}
	if sp.holdZ {
		cmd.d = clamp(gainZ*(sp.target.d-est.d), -sp.vUp, sp.vDown)
	} else {
		cmd.d = sp.vz
	}

	acc := cmd.sub(v.vel).scale(1 / velTau)
	if h := acc.horizontalNorm(); h > accXYMax {
		k := accXYMax / h
		acc.n, acc.e = acc.n*k, acc.e*k
	}
	acc.d = clamp(acc.d, -accZMax, accZMax)
	if !v.landed {
		acc.n += v.wind.n
		acc.e += v.wind.e
	}
	v.acc = acc
	v.vel = v.vel.add(acc.scale(dt))
	v.pos = v.pos.add(v.vel.scale(dt))
}

// updateAttitude derives roll and pitch from the horizontal acceleration a
// multicopter needs, and turns the nose towards the direction of travel
// when cruising (MPC_YAW_MODE 0).
func (v *vehicle) updateAttitude(dt float64) {
	if h := v.vel.horizontalNorm(); h > 2 && v.armed && !v.landed {
		want := math.Atan2(v.vel.e, v.vel.n)
		delta := clamp(wrapPi(want-v.yaw), -yawRateMax*dt, yawRateMax*dt)
		v.yaw = wrapPi(v.yaw + delta)
	}
	s, c := math.Sincos(v.yaw)
	fwd := v.acc.n*c + v.acc.e*s
	right := -v.acc.n*s + v.acc.e*c
	if !v.armed || v.landed {
		fwd, right = 0, 0
	}
	v.pitch = -math.Atan2(fwd, gravity)
	v.roll = math.Atan2(right, gravity)
}
