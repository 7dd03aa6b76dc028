package px4sim

import (
	"math/rand/v2"
	"time"
)

// stepUs is the physics step in simulated microseconds (250 Hz, like SIH).
const stepUs = 4000

// PX4 v1.16 parameter defaults the model uses. The take-off climb rate is
// the one observed on the SIH quad.
const (
	paramTakeoffSpeed  = 0.7  // m/s, observed climb rate in AUTO.TAKEOFF
	paramTakeoffMinAlt = 2.5  // MIS_TAKEOFF_ALT, m
	paramAltAcceptRad  = 0.8  // NAV_MC_ALT_RAD, m
	paramAcceptRad     = 2.0  // NAV_ACC_RAD, m
	paramXYCruise      = 5.0  // MPC_XY_CRUISE, m/s
	paramZUp           = 3.0  // MPC_Z_V_AUTO_UP, m/s
	paramZDown         = 1.5  // MPC_Z_V_AUTO_DN, m/s
	paramLandSpeed     = 0.7  // MPC_LAND_SPEED, m/s
	paramLandAlt1      = 10.0 // MPC_LAND_ALT1, m: full descent speed above
	paramLandAlt2      = 5.0  // MPC_LAND_ALT2, m: land speed below
	paramRTLReturnAlt  = 60.0 // RTL_RETURN_ALT, m
	paramRTLDescendAlt = 30.0 // RTL_DESCEND_ALT, m
	paramRTLMinDist    = 10.0 // RTL_MIN_DIST, m
	paramRTLConeAngle  = 45.0 // RTL_CONE_ANG, degrees
	paramDisarmLand    = 2 * time.Second
	paramLandDetect    = 1 * time.Second
)

// MAV_SEVERITY values used in STATUSTEXT.
const (
	severityCritical = 2
	severityWarning  = 4
	severityInfo     = 6
)

// eventTab ends the texts PX4's commander also sends as events
// (mavlink_log_info(&_mavlink_log_pub, "Takeoff detected\t") followed by
// events::send): the tab tells a ground station that understands events
// to skip the text copy. It goes out on the wire as it is (issue 18,
// fact 4), so a client that shows or stores texts must strip it.
const eventTab = "\t"

// statusText is a STATUSTEXT the vehicle emits.
type statusText struct {
	severity uint8
	text     string
}

// homePosition is the home the vehicle returns to.
type homePosition struct {
	valid bool
	pos   vec3 // local NED
}

// vehicle is the deterministic model of one PX4 vehicle: physics,
// commander, navigator, land detector, failsafe and battery. It does no
// I/O and reads no clock: the Sim drives it with step and feeds it
// commands and heartbeats between steps, so the same inputs at the same
// steps give the same outputs.
type vehicle struct {
	cfg    Config
	origin geoOrigin
	now    int64 // simulated µs since boot

	windRand  *rand.Rand
	noiseRand *rand.Rand

	// True physical state, local NED relative to the boot position.
	pos, vel, acc                vec3
	roll, pitch, yaw             float64
	rollRate, pitchRate, yawRate float64
	wind                         vec3 // horizontal disturbance, m/s²
	noise                        vec3 // position sensor error, m
	est                          estimator
	lifting                      bool // the motors produce lift (armed and not idling on the ground)

	// Commander.
	mode            Mode
	modeAfterDisarm Mode
	armed           bool
	armedAt         int64
	tookOff         bool // since arming
	landed          bool
	landCandidate   int64 // when the touch-down conditions started; -1 none
	landedAt        int64
	estimatorReady  bool
	readyPrinted    bool // "Ready for takeoff!" went to the console
	home            homePosition

	nav     navigator
	link    dataLink
	fs      failsafe
	battery battery

	texts []statusText
}

func newVehicle(cfg Config) *vehicle {
	// Per-vehicle constants come from their own stream, so that adding one
	// never shifts the wind or noise sequences.
	constants := rand.New(rand.NewPCG(cfg.Seed, 0x636f6e73))
	v := &vehicle{
		cfg:             cfg,
		origin:          newGeoOrigin(cfg.Home),
		windRand:        rand.New(rand.NewPCG(cfg.Seed, 0x77696e64)),
		noiseRand:       rand.New(rand.NewPCG(cfg.Seed, 0x6e6f6973)),
		mode:            ModeAutoLoiter,
		modeAfterDisarm: ModeAutoLoiter,
		landed:          true,
		landCandidate:   -1,
		battery:         newBattery(),
		est:             estimator{groundEffect: groundEffectMin + (groundEffectMax-groundEffectMin)*constants.Float64()},
	}
	v.link.lost = true // like PX4's commander, which boots with gcs_connection_lost set
	return v
}

// say queues a STATUSTEXT.
func (v *vehicle) say(severity uint8, text string) {
	v.texts = append(v.texts, statusText{severity: severity, text: text})
}

// takeTexts returns and clears the queued STATUSTEXTs.
func (v *vehicle) takeTexts() []statusText {
	t := v.texts
	v.texts = nil
	return t
}

func us(d time.Duration) int64 { return d.Microseconds() }

// step advances the model by one physics step.
func (v *vehicle) step() {
	const dt = float64(stepUs) / 1e6
	v.now += stepUs

	v.updateReadiness()
	v.updateDataLink()
	v.updateFailsafe()
	sp := v.navigate()
	v.updateDisturbances(dt)
	v.integrate(sp, dt)
	v.updateLandDetector()
	v.updateAutoDisarm()
	v.battery.update(dt, v.armed, !v.landed)
}

// updateReadiness models the estimator converging: from then on the
// position is valid, home is set, and once the arming checks pass PX4
// prints "Ready for takeoff!". It prints it on its console only
// (Commander::checkAndInformReadyForTakeoff, SITL builds), never as a
// STATUSTEXT (issue 18, fact 1): a ground station sees readiness as the
// MAV_SYS_STATUS_PREARM_CHECK bit in SYS_STATUS, which turns on at the same
// moment (see sysStatus).
func (v *vehicle) updateReadiness() {
	if !v.estimatorReady && v.now >= us(v.cfg.ReadyDelay) {
		v.estimatorReady = true
		v.setHome()
	}
	if v.estimatorReady && !v.readyPrinted && v.gcsCheckPasses() {
		v.readyPrinted = true
		v.cfg.Logf("px4sim: system %d: INFO  [commander] Ready for takeoff!", v.cfg.SystemID)
	}
}

// gcsCheckPasses is PX4's "No connection to the GCS" preflight check,
// which only applies when a data-link-loss action is configured.
func (v *vehicle) gcsCheckPasses() bool {
	return v.cfg.Failsafe.DataLinkLossAction == FailsafeNone || !v.link.lost
}

// setHome is HomePosition::setHomePosition: home is where the vehicle
// estimates it is, so it carries the estimate's error (fact 5). PX4 calls
// it when the estimate first becomes valid, at arming and when it detects
// the take-off.
func (v *vehicle) setHome() {
	v.home = homePosition{valid: true, pos: v.estimated()}
}

// altAMSL is the true altitude above mean sea level.
func (v *vehicle) altAMSL() float64 { return v.origin.alt - v.pos.d }

// State is a read-only snapshot of a simulated vehicle, for the
// simulator's own tests and diagnostics. Scenarios must observe vehicles
// over MAVLink (package mavobserver) so that they also work against real
// PX4.
type State struct {
	SimTime  time.Duration
	Mode     Mode
	Armed    bool
	Landed   bool
	Ready    bool // the pre-arm checks pass ("Ready for takeoff!" was printed)
	Failsafe bool
	Lat, Lon float64 // degrees, true
	AltAMSL  float64 // m, true
	// AltRel is the estimated altitude above the estimated home: what the
	// vehicle reports as GLOBAL_POSITION_INT.relative_alt (less its fast
	// sensor noise).
	AltRel float64
	// AGL is the true height above the (flat) ground.
	AGL       float64
	North     float64 // m from the boot position, true
	East      float64
	Down      float64
	Battery   float64 // remaining, 0..1
	HomeValid bool
}

func (v *vehicle) state() State {
	lat, lon := v.origin.toGlobal(v.pos.n, v.pos.e)
	return State{
		SimTime:   time.Duration(v.now) * time.Microsecond,
		Mode:      v.mode,
		Armed:     v.armed,
		Landed:    v.landed,
		Ready:     v.readyPrinted,
		Failsafe:  v.fs.active,
		Lat:       lat,
		Lon:       lon,
		AltAMSL:   v.altAMSL(),
		AltRel:    v.home.pos.d - (v.pos.d - v.altError()),
		AGL:       -v.pos.d,
		North:     v.pos.n,
		East:      v.pos.e,
		Down:      v.pos.d,
		Battery:   v.battery.remaining,
		HomeValid: v.home.valid,
	}
}
