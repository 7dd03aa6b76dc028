package plan

import (
	"slices"
	"time"
)

// The document's type, as its first two fields state it. A plan of another
// apiVersion is refused rather than guessed at: a v2 plan may mean
// something a v1 engine would silently do differently.
const (
	APIVersion   = "chaos.wasmbed.io/v1"
	DocumentKind = "FaultPlan"
)

// Plan is one fault plan.
type Plan struct {
	// Name identifies the plan in reports; optional.
	Name string
	// Description says what the plan is for; optional.
	Description string
	// Seed drives every other random choice of a run of this plan (device
	// start jitter, vehicle noise); a generated plan carries the seed it
	// was generated from. Nil: the run picks and prints one.
	Seed *uint64
	// Settle is how long the system may take, after the last fault is
	// healed, before every invariant must hold.
	Settle time.Duration
	// Fleet is the system the plan needs.
	Fleet Fleet
	// Faults in the order written; a fault's index is its name in the
	// engine's journal and the shrinker's report.
	Faults []Fault
}

// Device backends a fleet can ask for (harness/fleet, harness/containers).
const (
	BackendProcess    = "process"
	BackendInProcess  = "inprocess"
	BackendQEMU       = "qemu"
	BackendContainers = "containers"
)

// Backends lists the device backends in the order the README gives them.
var Backends = []string{BackendProcess, BackendInProcess, BackendQEMU, BackendContainers}

// How the SUT runs (harness/sutproc with or without harness/containers).
const (
	SUTProcess    = "process"
	SUTContainers = "containers"
)

// Enrolment methods of a device.
const (
	EnrolToken         = "token"
	EnrolPreRegistered = "preregistered"
)

// DefaultGateway is the gateway a fleet has when it names none.
const DefaultGateway = "gw-0"

// Fleet is the system a plan runs against: the SUT's shape, the devices by
// name and backend, and the vehicles. Zero values mean the defaults the
// accessors return; they are not written out.
type Fleet struct {
	// SUT is how the controller and gateways run: "process" (default) or
	// "containers".
	SUT string
	// Gateways by name; one named gw-0 if empty.
	Gateways []string
	// Controllers is the number of controller replicas; 1 if zero.
	Controllers int
	// Devices by name.
	Devices []FleetDevice
	// Vehicles by name.
	Vehicles []FleetVehicle
}

// FleetDevice is one device of the fleet.
type FleetDevice struct {
	Name string
	// Backend is process, inprocess, qemu or containers.
	Backend string
	// Profile is the firmware profile; the backend's default if empty.
	Profile string
	// Gateway the device connects to; the fleet's first if empty.
	Gateway string
	// Enrolment is token (default) or preregistered.
	Enrolment string
	// Start is when the engine first powers the device on, from the start
	// of the plan. Zero: the testbed starts it before the plan and waits
	// for it to connect, the usual case. A later start is how a plan has a
	// device enrol during a fault (a controller outage, a short
	// certificate lifetime).
	Start time.Duration
}

// FleetVehicle is one vehicle of the fleet.
type FleetVehicle struct {
	Name string
	// Pilot is the device that flies it; optional.
	Pilot string
}

// Fault is one timed fault.
type Fault struct {
	// At is when the fault is injected, from the start of the plan.
	At time.Duration
	// Kind says what the fault does (Kinds).
	Kind Kind
	// Target is what it is aimed at.
	Target Target
	// Duration is the fault's window: it is healed at At+Duration. Zero for
	// kinds without a window.
	Duration time.Duration

	// Parameters; each kind takes the ones its KindSpec lists.

	// Latency is the delay each way of link-latency.
	Latency time.Duration
	// Period is how long each down and each up phase of link-flap lasts.
	Period time.Duration
	// Skew is clock-skew's clock.
	Skew Skew
	// Validity is the certificate lifetime cert-lifetime sets.
	Validity time.Duration
	// Restart makes the engine start a killed component again after
	// Duration; without it, only the SUT's own supervision brings it back.
	Restart bool
}

// End is when the fault is healed.
func (f Fault) End() time.Duration { return f.At + f.Duration }

// GatewayNames returns the fleet's gateways, the default one if it names
// none.
func (f Fleet) GatewayNames() []string {
	if len(f.Gateways) == 0 {
		return []string{DefaultGateway}
	}
	return f.Gateways
}

// ControllerCount returns the number of controller replicas.
func (f Fleet) ControllerCount() int { return max(f.Controllers, 1) }

// SUTMode returns how the SUT runs.
func (f Fleet) SUTMode() string {
	if f.SUT == "" {
		return SUTProcess
	}
	return f.SUT
}

// Device returns the named device of the fleet.
func (f Fleet) Device(name string) (FleetDevice, bool) {
	i := slices.IndexFunc(f.Devices, func(d FleetDevice) bool { return d.Name == name })
	if i < 0 {
		return FleetDevice{}, false
	}
	return f.Devices[i], true
}

// GatewayOf returns the gateway a device connects to.
func (f Fleet) GatewayOf(d FleetDevice) string {
	if d.Gateway != "" {
		return d.Gateway
	}
	return f.GatewayNames()[0]
}

// EnrolmentOf returns how a device enrols.
func (d FleetDevice) EnrolmentOf() string {
	if d.Enrolment == "" {
		return EnrolToken
	}
	return d.Enrolment
}

// End is when the plan's last fault is healed or its last device
// started, whichever is later.
func (p *Plan) End() time.Duration {
	var end time.Duration
	for _, f := range p.Faults {
		end = max(end, f.End())
	}
	for _, d := range p.Fleet.Devices {
		end = max(end, d.Start)
	}
	return end
}

// Clone returns a deep copy, for the shrinker's candidates.
func (p *Plan) Clone() *Plan {
	c := *p
	if p.Seed != nil {
		s := *p.Seed
		c.Seed = &s
	}
	c.Fleet.Gateways = slices.Clone(p.Fleet.Gateways)
	c.Fleet.Devices = slices.Clone(p.Fleet.Devices)
	c.Fleet.Vehicles = slices.Clone(p.Fleet.Vehicles)
	c.Faults = slices.Clone(p.Faults)
	return &c
}

// Targets returns every target some fault of the plan aims at, in order of
// first appearance.
func (p *Plan) Targets() []Target {
	var out []Target
	for _, f := range p.Faults {
		if !slices.Contains(out, f.Target) {
			out = append(out, f.Target)
		}
	}
	return out
}
