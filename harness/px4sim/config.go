package px4sim

import (
	"errors"
	"fmt"
	"math"
	"net"
	"strconv"
	"time"
)

// PX4 SITL's UDP ports for instance 0 (px4-rc.mavlink). Instance i binds
// GCSBindPort+i and APIBindPort+i and sends to GCSRemotePort (shared by all
// instances) and APIRemotePort+i.
const (
	GCSBindPort   = 18570
	GCSRemotePort = 14550
	APIBindPort   = 14580
	APIRemotePort = 14540
)

// NoRemote as a LinkConfig.Remote means the link sends nothing until it
// receives a packet, and then answers that packet's source.
const NoRemote = "none"

// LinkConfig configures one MAVLink UDP link.
type LinkConfig struct {
	// Bind is the local address the link receives on and sends from.
	// Empty means PX4's port for the instance on 127.0.0.1; a port of 0
	// picks an ephemeral one (read it back with Sim.GCSAddr/APIAddr).
	Bind string
	// Remote is where the link sends until it learns a partner from the
	// first packet it receives. Empty means PX4's remote port on
	// 127.0.0.1; NoRemote means none.
	Remote string
}

// FailsafeAction is PX4's NAV_DLL_ACT.
type FailsafeAction int

// Data-link-loss actions, numbered like NAV_DLL_ACT.
const (
	FailsafeNone FailsafeAction = 0
	FailsafeHold FailsafeAction = 1
	FailsafeRTL  FailsafeAction = 2
	FailsafeLand FailsafeAction = 3
)

// String names the action.
func (a FailsafeAction) String() string {
	switch a {
	case FailsafeNone:
		return "none"
	case FailsafeHold:
		return "hold"
	case FailsafeRTL:
		return "rtl"
	case FailsafeLand:
		return "land"
	}
	return "FailsafeAction(" + strconv.Itoa(int(a)) + ")"
}

// ParseFailsafeAction parses "none", "hold", "rtl" or "land".
func ParseFailsafeAction(s string) (FailsafeAction, error) {
	for _, a := range []FailsafeAction{FailsafeNone, FailsafeHold, FailsafeRTL, FailsafeLand} {
		if a.String() == s {
			return a, nil
		}
	}
	return 0, fmt.Errorf("unknown failsafe action %q (want none, hold, rtl or land)", s)
}

// FailsafeConfig configures the data-link-loss failsafe. All durations are
// in simulated time, as on PX4 (whose clock is the simulation's).
type FailsafeConfig struct {
	// DataLinkLossAction is NAV_DLL_ACT; PX4's default is none. When it is
	// not none, PX4 also refuses to arm (its pre-arm checks fail) until a
	// GCS heartbeat has been received.
	DataLinkLossAction FailsafeAction
	// DataLinkLossTimeout is COM_DL_LOSS_T: how long without a
	// MAV_TYPE_GCS heartbeat counts as lost. Default 10s.
	DataLinkLossTimeout time.Duration
	// ActionDelay is COM_FAIL_ACT_T: the vehicle holds for this long
	// before the action starts. Default 5s; negative means no delay.
	ActionDelay time.Duration
}

// Position is a geodetic position.
type Position struct {
	Lat, Lon float64 // degrees
	Alt      float64 // metres above mean sea level
}

// DefaultReadyDelay is when PX4 v1.16.0 SITL (SIH quad) passed its pre-arm
// checks after boot, in simulated time.
const DefaultReadyDelay = 4700 * time.Millisecond

// DefaultHome is PX4 SITL's default home (Zurich, the SIH default).
var DefaultHome = Position{Lat: 47.397742, Lon: 8.545594, Alt: 488.0}

// Config configures a simulated vehicle. The zero value is a PX4 SITL
// instance 0 on PX4's ports.
type Config struct {
	// Instance is PX4's -i: it offsets the default ports and system id.
	Instance int
	// SystemID is MAV_SYS_ID. Default 1+Instance, as PX4 SITL sets it.
	SystemID uint8
	// GCS is the "Normal" link a ground station uses.
	GCS LinkConfig
	// API is the "Onboard" link an offboard API (MAVSDK, the gateway) uses.
	API LinkConfig
	// SpeedFactor is how many times faster than wall time simulated time
	// runs (PX4_SIM_SPEED_FACTOR). Default 1.
	SpeedFactor float64
	// Seed seeds everything random about the vehicle: the wind, the sensor
	// noise and the height estimate's drift and ground-effect dip. The same
	// seed and the same commands at the same simulated instants give the
	// same flight.
	Seed uint64
	// Home is where the vehicle boots (the ground is flat at Home.Alt).
	// Default DefaultHome.
	Home Position
	// Failsafe configures the data-link-loss failsafe.
	Failsafe FailsafeConfig
	// ReadyDelay is the simulated time from boot until the estimator has
	// converged and the pre-arm checks pass (SYS_STATUS's
	// MAV_SYS_STATUS_PREARM_CHECK bit; PX4 prints "Ready for takeoff!" on
	// its console, which here goes to Logf). Default 4.7s, as observed on
	// PX4 v1.16.0 SITL (issue 18, fact 1).
	ReadyDelay time.Duration
	// PreflightDisarm is COM_DISARM_PRFLT: an armed vehicle that has not
	// taken off disarms after this. Default 10s; negative disables.
	PreflightDisarm time.Duration
	// LinkBudget caps each link's telemetry in messages per wall second;
	// above it the highest-rate streams are thinned. Default 1000.
	LinkBudget float64
	// Logf, if set, receives diagnostics and what PX4 prints on its
	// console only (a link latching its partner, which PX4 logs as
	// "partner IP"; "Ready for takeoff!").
	Logf func(format string, args ...any)
}

// withDefaults fills the zero fields and validates the rest.
func (c Config) withDefaults() (Config, error) {
	if c.Instance < 0 || c.Instance > 200 {
		return c, fmt.Errorf("px4sim: instance %d out of range", c.Instance)
	}
	if c.SystemID == 0 {
		c.SystemID = uint8(1 + c.Instance)
	}
	if c.GCS.Bind == "" {
		c.GCS.Bind = loopback(GCSBindPort + c.Instance)
	}
	if c.GCS.Remote == "" {
		c.GCS.Remote = loopback(GCSRemotePort)
	}
	if c.API.Bind == "" {
		c.API.Bind = loopback(APIBindPort + c.Instance)
	}
	if c.API.Remote == "" {
		c.API.Remote = loopback(APIRemotePort + c.Instance)
	}
	if c.SpeedFactor == 0 {
		c.SpeedFactor = 1
	}
	if c.SpeedFactor < 0 || math.IsNaN(c.SpeedFactor) || math.IsInf(c.SpeedFactor, 0) {
		return c, fmt.Errorf("px4sim: invalid speed factor %v", c.SpeedFactor)
	}
	if c.Home == (Position{}) {
		c.Home = DefaultHome
	}
	if c.Home.Lat < -89 || c.Home.Lat > 89 || c.Home.Lon < -180 || c.Home.Lon > 180 {
		return c, fmt.Errorf("px4sim: invalid home %+v", c.Home)
	}
	if c.Failsafe.DataLinkLossAction < FailsafeNone || c.Failsafe.DataLinkLossAction > FailsafeLand {
		return c, errors.New("px4sim: invalid data-link-loss action")
	}
	if c.Failsafe.DataLinkLossTimeout == 0 {
		c.Failsafe.DataLinkLossTimeout = 10 * time.Second
	}
	if c.Failsafe.ActionDelay == 0 {
		c.Failsafe.ActionDelay = 5 * time.Second
	}
	if c.Failsafe.ActionDelay < 0 {
		c.Failsafe.ActionDelay = 0
	}
	if c.ReadyDelay == 0 {
		c.ReadyDelay = DefaultReadyDelay
	}
	if c.PreflightDisarm == 0 {
		c.PreflightDisarm = 10 * time.Second
	}
	if c.LinkBudget == 0 {
		c.LinkBudget = 1000
	}
	if c.LinkBudget < 10 {
		return c, fmt.Errorf("px4sim: link budget %v too small", c.LinkBudget)
	}
	if c.Logf == nil {
		c.Logf = func(string, ...any) {}
	}
	return c, nil
}

func loopback(port int) string {
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
}
