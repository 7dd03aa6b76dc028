package testbed

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/wasmbed/wasmbed/harness/mavevents"
	"github.com/wasmbed/wasmbed/harness/mavobserver"
	"github.com/wasmbed/wasmbed/harness/px4sim"
	"github.com/wasmbed/wasmbed/harness/px4sitl"
	"github.com/wasmbed/wasmbed/harness/timeline"
	"github.com/wasmbed/wasmbed/harness/udprelay"
	wasmbedv1 "github.com/wasmbed/wasmbed/sut/api/v1alpha1"
)

// VehicleBackend names what flies a testbed's vehicles. Specs are written
// once and run per backend: the built-in simulator always, real PX4 SITL
// when PX4_SITL_DIR points at a build.
type VehicleBackend string

// Vehicle backends.
const (
	// SimVehicles is the built-in PX4-faithful simulator (package px4sim),
	// in the harness process, on ephemeral ports.
	SimVehicles VehicleBackend = "px4sim"
	// SITLVehicles is real PX4 SITL (package px4sitl), on PX4's fixed
	// ports: specs that use it must run serially.
	SITLVehicles VehicleBackend = "px4sitl"
)

// VehicleBackends lists the backends, the built-in one first.
func VehicleBackends() []VehicleBackend { return []VehicleBackend{SimVehicles, SITLVehicles} }

// Unavailable says why the backend cannot run in this environment, and how
// to enable it; "" when it can.
func (b VehicleBackend) Unavailable(sitlDir string) string {
	if b != SITLVehicles {
		return ""
	}
	if sitlDir == "" {
		return "real PX4 SITL variant skipped: set PX4_SITL_DIR (or -wasmbed.px4-sitl-dir) to a PX4 v1.16 SITL build directory holding bin/px4 and etc/ (e.g. PX4-Autopilot/build/px4_sitl_default) to run it"
	}
	if _, err := px4sitl.New(px4sitl.Config{Dir: sitlDir}); err != nil {
		return err.Error()
	}
	return ""
}

// AirspaceOptions shape an Airspace.
type AirspaceOptions struct {
	// Backend flies the vehicles; SimVehicles if empty.
	Backend VehicleBackend
	// SpeedFactor is how much faster than wall time the vehicles fly;
	// the run's configured speed factor if zero.
	SpeedFactor float64
	// Seed seeds the simulated vehicles, everything random about them
	// (wind, sensor noise, estimator error): vehicle n gets Seed+n. Zero
	// keeps the default seeding, n+1.
	Seed uint64
}

// Airspace is a spec's vehicles and the independent observer that watches
// them all. Each vehicle is reached by the gateway through its own UDP relay
// (so a spec can cut the link), while the observer is a ground station on
// the vehicle's GCS link, like QGroundControl: it sends GCS heartbeats at
// one per vehicle second, so PX4 sends it its STATUSTEXTs (issue 18, fact
// 2), and what it reports is the vehicle's own account, not the system
// under test's. It never sees the acks for the gateway's commands (fact 3):
// specs judge commands by what the vehicle does.
type Airspace struct {
	tb       *Testbed
	backend  VehicleBackend
	speed    float64
	seed     uint64
	Observer *mavobserver.Observer
	sitl     *px4sitl.Launcher
	mavlink  *timeline.Journal // mavlink.timeline.jsonl in the artifact folder

	mu       sync.Mutex
	vehicles []*Vehicle
	watchers []*mavevents.Watcher
}

// NewAirspace prepares a spec's airspace; everything in it is closed when
// the spec's Env closes.
func NewAirspace(ctx context.Context, tb *Testbed, o AirspaceOptions) (*Airspace, error) {
	if o.Backend == "" {
		o.Backend = SimVehicles
	}
	if o.SpeedFactor == 0 {
		o.SpeedFactor = tb.Env.Config.SpeedFactor
	}
	if o.SpeedFactor < 0 || math.IsNaN(o.SpeedFactor) || math.IsInf(o.SpeedFactor, 0) {
		return nil, fmt.Errorf("invalid vehicle speed factor %v", o.SpeedFactor)
	}
	a := &Airspace{tb: tb, backend: o.Backend, speed: o.SpeedFactor, seed: o.Seed}
	listen := "127.0.0.1:0"
	var err error
	switch o.Backend {
	case SimVehicles:
	case SITLVehicles:
		if why := o.Backend.Unavailable(tb.Env.Config.PX4SITLDir); why != "" {
			return nil, errors.New(why)
		}
		l, err := px4sitl.New(px4sitl.Config{Dir: tb.Env.Config.PX4SITLDir, SpeedFactor: o.SpeedFactor, LogDir: tb.Env.ArtifactDir,
			ReadyTimeout: tb.Env.Config.Scale(2 * time.Minute)})
		if err != nil {
			return nil, err
		}
		a.sitl = l
		// Every PX4 SITL instance's GCS link sends to 14550.
		listen = loopbackAddr(px4sim.GCSRemotePort)
	default:
		return nil, fmt.Errorf("unknown vehicle backend %q", o.Backend)
	}
	if a.mavlink, err = openMAVLinkJournal(tb.Env); err != nil {
		return nil, err
	}
	obs, err := mavobserver.New(mavobserver.Config{Listen: listen, HeartbeatPeriod: gcsHeartbeatPeriod(o.SpeedFactor)})
	if err != nil {
		return nil, err
	}
	a.Observer = obs
	tb.Env.Defer("close the airspace", func(context.Context) error { return a.close() })
	return a, nil
}

func loopbackAddr(port int) string { return "127.0.0.1:" + strconv.Itoa(port) }

// gcsHeartbeatPeriod is one vehicle second in wall time: a ground station
// heartbeats at 1 Hz, and PX4 measures in its own clock (it sends texts to
// a link that had one within 2.5 s).
func gcsHeartbeatPeriod(speed float64) time.Duration {
	return min(time.Second, max(10*time.Millisecond, time.Duration(float64(time.Second)/speed)))
}

// VehicleSpeed is the speed factor for a spec that flies n vehicles at
// once on a machine with cpus cores, at most requested, and a sentence
// saying why, for the spec's output.
//
// The rule comes from real PX4 (issue 18, fact 6): a PX4 SITL instance
// takes 0.9-1.2 cores at speed factor 10, so about 0.12 core per unit of
// speed, and two instances at 10x overloaded 2 cores until their MAVLink
// links flapped, while at 3x both flew correctly. One core is left to the
// system under test, its control plane and the harness; the vehicles share
// the others at no more than 75% load: speed = 0.75 * (cpus-1) / (0.12*n),
// rounded down, at least 1. That is 3x for two vehicles on 2 cores and
// 10x from 5 cores on. A single vehicle keeps the requested speed: one PX4
// at 10x was measured running at 9.7x on 2 cores.
func VehicleSpeed(requested float64, n, cpus int) (float64, string) {
	if n <= 1 {
		return requested, fmt.Sprintf("speed factor %gx for 1 vehicle", requested)
	}
	fit := math.Max(1, math.Floor(0.75*float64(max(cpus-1, 1))/(0.12*float64(n))))
	speed := math.Min(requested, fit)
	return speed, fmt.Sprintf("speed factor %gx for %d vehicles on %d CPUs (requested %gx; a PX4 SITL instance takes about 1.2 cores at 10x, so %d at once get %gx)",
		speed, n, cpus, requested, n, fit)
}

// Backend is what flies the vehicles.
func (a *Airspace) Backend() VehicleBackend { return a.backend }

// SpeedFactor is the vehicles' simulated time per wall second.
func (a *Airspace) SpeedFactor() float64 { return a.speed }

// VehicleOptions shape one vehicle.
type VehicleOptions struct {
	// DataLinkLoss is the vehicle's own reaction to losing its ground
	// station (PX4's NAV_DLL_ACT): "" (none, PX4's default), "rtl" or
	// "land". With one set, PX4 also arms only while it hears a GCS.
	DataLinkLoss string
	// DataLinkLossTimeout is COM_DL_LOSS_T in vehicle time; PX4's 10 s if
	// zero.
	DataLinkLossTimeout time.Duration
	// GCSRemote, for the simulator only, sends the vehicle's GCS link
	// there instead of to the observer, and the observer's heartbeats go
	// there instead of to the vehicle: a benchmark's tap, which must
	// forward both ways.
	GCSRemote string
}

// Vehicle is one vehicle of an Airspace.
type Vehicle struct {
	// SystemID is the vehicle's MAVLink system id.
	SystemID uint8
	// Relay is the UDP relay between the gateway and the vehicle's
	// onboard/API link; Cut it to take the vehicle's link away.
	Relay *udprelay.Relay
	// Endpoint is what a Device names as its vehicle (the relay).
	Endpoint string
	// Sim is the simulated vehicle (nil for real SITL).
	Sim *px4sim.Sim
	// SITL is the real PX4 instance (nil for the simulator).
	SITL *px4sitl.Instance
	// GCSLink is where the observer is the vehicle's ground station.
	GCSLink string

	observer *mavobserver.Observer
}

// NewVehicle starts a vehicle, makes the observer its ground station and
// waits until it is ready as a ground station sees it: heartbeats, a
// position, and SYS_STATUS saying the pre-arm checks pass (PX4 prints
// "Ready for takeoff!" only on its console, issue 18 fact 1).
func (a *Airspace) NewVehicle(ctx context.Context, o VehicleOptions) (*Vehicle, error) {
	a.mu.Lock()
	n := len(a.vehicles)
	a.mu.Unlock()
	var v *Vehicle
	var err error
	if a.backend == SITLVehicles {
		v, err = a.startSITL(ctx, n, o)
	} else {
		v, err = a.startSim(n, o)
	}
	if err != nil {
		return nil, err
	}
	a.mu.Lock()
	a.vehicles = append(a.vehicles, v)
	a.mu.Unlock()
	a.watchVehicle(a.Observer, v.SystemID)
	if err := a.Observer.AddVehicle(v.GCSLink); err != nil {
		return nil, err
	}
	wctx, cancel := context.WithTimeout(ctx, a.tb.Env.Config.Scale(60*time.Second))
	defer cancel()
	s, err := a.Observer.WaitFor(wctx, v.SystemID, func(s mavobserver.Vehicle) bool {
		return s.IsAutopilot() && s.HasGlobalPosition && s.ReadyToArm
	})
	if err != nil {
		return nil, fmt.Errorf("vehicle %d not ready (heartbeat: %v, position: %v, SYS_STATUS: %v, pre-arm checks passing: %v): %w",
			v.SystemID, s.IsAutopilot(), s.HasGlobalPosition, s.HasSysStatus, s.ReadyToArm, err)
	}
	return v, nil
}

func (a *Airspace) startSim(n int, o VehicleOptions) (*Vehicle, error) {
	fs := px4sim.FailsafeConfig{DataLinkLossTimeout: o.DataLinkLossTimeout}
	if o.DataLinkLoss != "" {
		act, err := px4sim.ParseFailsafeAction(o.DataLinkLoss)
		if err != nil {
			return nil, err
		}
		fs.DataLinkLossAction = act
	}
	gcs := a.Observer.Addr().String()
	if o.GCSRemote != "" {
		gcs = o.GCSRemote
	}
	seed := uint64(n + 1)
	if a.seed != 0 {
		seed = a.seed + uint64(n)
	}
	sim, err := px4sim.New(px4sim.Config{
		Instance: n, SystemID: uint8(n + 1), SpeedFactor: a.speed, Seed: seed,
		GCS:      px4sim.LinkConfig{Bind: "127.0.0.1:0", Remote: gcs},
		API:      px4sim.LinkConfig{Bind: "127.0.0.1:0", Remote: px4sim.NoRemote},
		Failsafe: fs,
	})
	if err != nil {
		return nil, err
	}
	relay, err := udprelay.New(udprelay.Config{Upstream: sim.APIAddr().String(),
		OnFault: faultNoter(a.tb.faults, fmt.Sprintf("vehicle link %d", sim.SystemID()))})
	if err != nil {
		sim.Close()
		return nil, err
	}
	v := &Vehicle{SystemID: sim.SystemID(), Relay: relay, Endpoint: "udp://" + relay.Addr().String(), Sim: sim,
		GCSLink: sim.GCSAddr().String(), observer: a.Observer}
	if o.GCSRemote != "" {
		v.GCSLink = o.GCSRemote
	}
	if err := sim.Start(); err != nil {
		v.close()
		return nil, err
	}
	return v, nil
}

// startSITL launches PX4 instance n. Its API link sends to 14540+n until
// it hears from someone, so the relay's upstream socket binds exactly
// there: PX4 then latches the relay as its partner.
func (a *Airspace) startSITL(ctx context.Context, n int, o VehicleOptions) (*Vehicle, error) {
	inst, err := a.sitl.Start(ctx, n)
	if err != nil {
		return nil, err
	}
	relay, err := udprelay.New(udprelay.Config{Upstream: inst.APIAddr, UpstreamBind: inst.APIRemote,
		OnFault: faultNoter(a.tb.faults, fmt.Sprintf("vehicle link %d", inst.SystemID))})
	if err != nil {
		inst.Close()
		return nil, err
	}
	v := &Vehicle{SystemID: inst.SystemID, Relay: relay, Endpoint: "udp://" + relay.Addr().String(), SITL: inst,
		GCSLink: inst.GCSAddr, observer: a.Observer}
	if o.DataLinkLoss != "" {
		if err := a.setDataLinkLoss(ctx, n, o); err != nil {
			v.close()
			return nil, err
		}
	}
	return v, nil
}

// setDataLinkLoss sets PX4's data-link-loss parameters on a running SITL
// instance through PX4's own client (bin/px4-param). It is done after
// readiness: with NAV_DLL_ACT set, PX4 is not ready for take-off (and the
// launcher would wait in vain) until a ground station is heard.
func (a *Airspace) setDataLinkLoss(ctx context.Context, n int, o VehicleOptions) error {
	act := map[string]string{"rtl": "2", "land": "3"}[o.DataLinkLoss]
	if act == "" {
		return fmt.Errorf("data-link-loss action %q: want rtl or land", o.DataLinkLoss)
	}
	params := [][2]string{{"NAV_DLL_ACT", act}}
	if o.DataLinkLossTimeout > 0 {
		params = append(params, [2]string{"COM_DL_LOSS_T", strconv.Itoa(int(o.DataLinkLossTimeout.Seconds()))})
	}
	client := filepath.Join(a.tb.Env.Config.PX4SITLDir, "bin", "px4-param")
	if _, err := os.Stat(client); err != nil {
		return fmt.Errorf("setting PX4 parameters needs %s (built with PX4 SITL): %w", client, err)
	}
	for _, p := range params {
		out, err := exec.CommandContext(ctx, client, "--instance", strconv.Itoa(n), "set", p[0], p[1]).CombinedOutput()
		if err != nil {
			return fmt.Errorf("px4-param set %s %s: %w: %s", p[0], p[1], err, out)
		}
	}
	return nil
}

// Fly makes the named device the vehicle's pilot: its Device names the
// vehicle (spec.capabilities.mavlink, through the relay) and the failsafe
// the gateway commands if the device disconnects mid-flight ("" keeps the
// default, RTL).
func (v *Vehicle) Fly(ctx context.Context, c client.Client, ns, device string, failsafe wasmbedv1.FailsafeAction) error {
	var d wasmbedv1.Device
	if err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: device}, &d); err != nil {
		return err
	}
	patch := client.MergeFrom(d.DeepCopy())
	d.Spec.Capabilities.MAVLink = &wasmbedv1.MAVLinkEndpoint{Endpoint: v.Endpoint, SystemID: int32(v.SystemID)}
	if failsafe != "" {
		d.Spec.Failsafe = failsafe
	}
	return c.Patch(ctx, &d, patch)
}

// State is the observer's account of the vehicle.
func (v *Vehicle) State() mavobserver.Vehicle {
	s, _ := v.observer.Vehicle(v.SystemID)
	return s
}

// Record starts recording the vehicle's flight, in vehicle time.
func (v *Vehicle) Record() *mavobserver.Recorder { return v.observer.Record(v.SystemID) }

func (v *Vehicle) close() error {
	err := v.Relay.Close()
	if v.Sim != nil {
		err = errors.Join(err, v.Sim.Close())
	}
	if v.SITL != nil {
		err = errors.Join(err, v.SITL.Close())
	}
	return err
}

func (a *Airspace) close() error {
	a.mu.Lock()
	vs, ws := a.vehicles, a.watchers
	a.vehicles, a.watchers = nil, nil
	a.mu.Unlock()
	for _, w := range ws {
		w.Stop()
	}
	var err error
	for _, v := range vs {
		err = errors.Join(err, v.close())
	}
	return errors.Join(err, a.Observer.Close())
}
