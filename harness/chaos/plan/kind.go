package plan

import (
	"math/rand/v2"
	"slices"
	"time"
)

// Kind is what a fault does.
type Kind string

// The fault kinds. Each exists in the harness as a one-off call; a plan
// makes it data (KindSpec says which call).
const (
	LinkCut             Kind = "link-cut"
	LinkBlackhole       Kind = "link-blackhole"
	LinkLatency         Kind = "link-latency"
	LinkReset           Kind = "link-reset"
	LinkFlap            Kind = "link-flap"
	Kill                Kind = "kill"
	Restart             Kind = "restart"
	EtcdStall           Kind = "etcd-stall"
	PowerCut            Kind = "power-cut"
	PowerReset          Kind = "power-reset"
	MAVLinkLoss         Kind = "mavlink-loss"
	ContainerPause      Kind = "container-pause"
	ContainerDisconnect Kind = "container-disconnect"
	ClockSkew           Kind = "clock-skew"
	CertLifetime        Kind = "cert-lifetime"
)

// Window says whether a kind lasts.
type Window int

const (
	// WindowRequired: the fault holds from At to At+Duration, Duration > 0.
	WindowRequired Window = iota
	// WindowOptional: Duration >= 0; zero heals it as soon as it is in.
	WindowOptional
	// WindowNone: an instant; nothing to heal, no Duration.
	WindowNone
)

// Param names a fault parameter as a plan writes it.
type Param string

// The parameters, each taken by the kinds whose KindSpec lists it.
const (
	ParamLatency  Param = "latency"
	ParamPeriod   Param = "period"
	ParamSkew     Param = "skew"
	ParamValidity Param = "validity"
	ParamRestart  Param = "restart"
)

// The resources a fault holds on its target for its window. Two faults
// holding the same resource of one target may not overlap: the second
// would change what healing the first means (clearing a link removes every
// toxic on it; starting a process the other fault stopped ends both).
const (
	holdsLink         = "link"
	holdsProcess      = "process"
	holdsNetwork      = "network"
	holdsClock        = "clock"
	holdsCertificates = "certificates"
	holdsMAVLink      = "mavlink"
)

// KindSpec describes a fault kind.
type KindSpec struct {
	Kind Kind
	// Targets it can be aimed at.
	Targets []TargetType
	// Backends are the device backends it applies to (all if nil).
	Backends []string
	// InContainer: the target must run in a container (a device of the
	// containers backend, or a gateway or controller of a containers SUT).
	InContainer bool
	Window      Window
	// Required and Optional parameters.
	Required, Optional []Param
	// Holds is the resource of the target it holds for its window.
	Holds string
	// Does and Undo say what injecting and healing it do, and with which
	// part of the harness.
	Does, Undo string

	// gen is how the generator draws it.
	gen genSpec
}

// genSpec is how the generator draws a kind: a window between min and max,
// then parameters.
type genSpec struct {
	minWindow, maxWindow time.Duration
	params               func(r *rand.Rand, f *Fault)
}

// kinds is the catalogue, in the order the README lists it.
var kinds = []KindSpec{
	{Kind: LinkCut, Targets: []TargetType{TargetDevice}, Window: WindowRequired, Holds: holdsLink,
		Does: "closes every connection through the device's link and refuses new ones: both ends see EOF (linkfault Cut)",
		Undo: "accepts connections again (Restore)",
		gen:  genSpec{minWindow: time.Second, maxWindow: 10 * time.Second}},
	{Kind: LinkBlackhole, Targets: []TargetType{TargetDevice}, Window: WindowRequired, Holds: holdsLink,
		Does: "drops every byte both ways and never passes a close on: a half-open link only a heartbeat timeout detects (linkfault Blackhole)",
		Undo: "removes the toxic (Clear)",
		gen:  genSpec{minWindow: 2 * time.Second, maxWindow: 10 * time.Second}},
	{Kind: LinkLatency, Targets: []TargetType{TargetDevice}, Window: WindowRequired, Holds: holdsLink,
		Required: []Param{ParamLatency},
		Does:     "delays every chunk by `latency` each way (linkfault Latency)",
		Undo:     "removes the toxic (Clear)",
		gen: genSpec{minWindow: time.Second, maxWindow: 10 * time.Second, params: func(r *rand.Rand, f *Fault) {
			f.Latency = drawDuration(r, 50*time.Millisecond, time.Second, 10*time.Millisecond)
		}}},
	{Kind: LinkReset, Targets: []TargetType{TargetDevice}, Window: WindowRequired, Holds: holdsLink,
		Does: "tears every connection through the link down with a TCP RST, for the whole window (linkfault Reset)",
		Undo: "removes the toxic (Clear)",
		gen:  genSpec{minWindow: time.Second, maxWindow: 5 * time.Second}},
	{Kind: LinkFlap, Targets: []TargetType{TargetDevice}, Window: WindowRequired, Holds: holdsLink,
		Required: []Param{ParamPeriod},
		Does:     "cuts and restores the link every `period` for the window, starting with a cut (linkfault Cut, Restore)",
		Undo:     "restores the link (Restore)",
		gen: genSpec{minWindow: 4 * time.Second, maxWindow: 12 * time.Second, params: func(r *rand.Rand, f *Fault) {
			f.Period = drawDuration(r, 250*time.Millisecond, min(2*time.Second, f.Duration/2), 50*time.Millisecond)
		}}},
	{Kind: Kill, Targets: []TargetType{TargetGateway, TargetController}, Window: WindowOptional, Holds: holdsProcess,
		Optional: []Param{ParamRestart},
		Does:     "SIGKILLs the process: no graceful shutdown (sutproc Kill); with `restart`, the window is its downtime",
		Undo:     "with `restart`, starts it again (Start); without, only the SUT's own supervision may",
		gen: genSpec{minWindow: 0, maxWindow: 5 * time.Second, params: func(r *rand.Rand, f *Fault) {
			f.Restart = r.IntN(2) == 0
			if !f.Restart {
				f.Duration = 0
			}
		}}},
	{Kind: Restart, Targets: []TargetType{TargetGateway, TargetController}, Window: WindowOptional, Holds: holdsProcess,
		Does: "stops the process gracefully, SIGTERM then SIGKILL after a grace period (sutproc Stop); the window is its downtime",
		Undo: "starts it again (Start)",
		gen:  genSpec{minWindow: 0, maxWindow: 3 * time.Second}},
	{Kind: EtcdStall, Targets: []TargetType{TargetEtcd}, Window: WindowRequired, Holds: holdsProcess,
		Does: "freezes the cluster's etcd with SIGSTOP: the API server hangs, leases go stale",
		Undo: "SIGCONT",
		gen:  genSpec{minWindow: time.Second, maxWindow: 8 * time.Second}},
	{Kind: PowerCut, Targets: []TargetType{TargetDevice}, Window: WindowRequired, Holds: holdsProcess,
		Does: "cuts the device's power: SIGKILL of its process or of QEMU, no flush (fleet Kill, qemu PowerCut)",
		Undo: "powers it on again (fleet Start, qemu PowerOn)",
		gen:  genSpec{minWindow: time.Second, maxWindow: 5 * time.Second}},
	{Kind: PowerReset, Targets: []TargetType{TargetDevice}, Backends: []string{BackendQEMU}, Window: WindowNone, Holds: holdsProcess,
		Does: "presses the guest's reset button (QMP system_reset) and waits for the firmware to boot (qemu Reset)",
		Undo: "nothing: the guest reboots by itself"},
	{Kind: MAVLinkLoss, Targets: []TargetType{TargetVehicle}, Window: WindowRequired, Holds: holdsMAVLink,
		Does: "drops every datagram between the gateway and the vehicle (udprelay Cut)",
		Undo: "passes datagrams again (Restore)",
		gen:  genSpec{minWindow: time.Second, maxWindow: 10 * time.Second}},
	{Kind: ContainerPause, Targets: []TargetType{TargetDevice, TargetGateway, TargetController}, Backends: []string{BackendContainers},
		InContainer: true, Window: WindowRequired, Holds: holdsProcess,
		Does: "freezes the target's container (containers Pause)",
		Undo: "thaws it (Unpause)",
		gen:  genSpec{minWindow: time.Second, maxWindow: 8 * time.Second}},
	{Kind: ContainerDisconnect, Targets: []TargetType{TargetDevice, TargetGateway, TargetController}, Backends: []string{BackendContainers},
		InContainer: true, Window: WindowRequired, Holds: holdsNetwork,
		Does: "takes the target's container off its network (containers Disconnect)",
		Undo: "puts it back (Reconnect)",
		gen:  genSpec{minWindow: time.Second, maxWindow: 8 * time.Second}},
	{Kind: ClockSkew, Targets: []TargetType{TargetDevice}, Window: WindowRequired, Holds: holdsClock,
		Required: []Param{ParamSkew},
		Does:     "sets the device's clock `skew` ahead (+), behind (-) or to 1970 (QEMU: -rtc base=; others: the device's clock offset)",
		Undo:     "sets the true time again",
		gen: genSpec{minWindow: 10 * time.Second, maxWindow: 60 * time.Second, params: func(r *rand.Rand, f *Fault) {
			if r.IntN(4) == 0 {
				f.Skew = Skew{Epoch: true}
				return
			}
			f.Skew = Skew{Offset: drawDuration(r, time.Minute, 48*time.Hour, time.Minute)}
			if r.IntN(2) == 0 {
				f.Skew.Offset = -f.Skew.Offset
			}
		}}},
	{Kind: CertLifetime, Targets: []TargetType{TargetGateway}, Window: WindowRequired, Holds: holdsCertificates,
		Required: []Param{ParamValidity},
		Does:     "sets the Gateway's certificateValidity to `validity`: the device certificates it issues from then on live that long",
		Undo:     "sets the previous validity again",
		gen: genSpec{minWindow: 10 * time.Second, maxWindow: 60 * time.Second, params: func(r *rand.Rand, f *Fault) {
			f.Validity = drawDuration(r, 2*time.Second, 30*time.Second, time.Second)
		}}},
}

// Kinds returns the catalogue of fault kinds.
func Kinds() []KindSpec { return slices.Clone(kinds) }

// Spec returns the kind's description.
func (k Kind) Spec() (KindSpec, bool) {
	i := slices.IndexFunc(kinds, func(s KindSpec) bool { return s.Kind == k })
	if i < 0 {
		return KindSpec{}, false
	}
	return kinds[i], true
}

// KindNames lists every kind's name, for error messages.
func KindNames() []string {
	out := make([]string, len(kinds))
	for i, k := range kinds {
		out[i] = string(k.Kind)
	}
	return out
}

// Takes reports whether the kind takes the parameter.
func (s KindSpec) Takes(p Param) bool {
	return slices.Contains(s.Required, p) || slices.Contains(s.Optional, p)
}

// drawDuration draws a multiple of step in [lo, hi].
func drawDuration(r *rand.Rand, lo, hi, step time.Duration) time.Duration {
	if hi <= lo {
		return lo
	}
	return lo + step*time.Duration(r.Int64N(int64((hi-lo)/step)+1))
}
