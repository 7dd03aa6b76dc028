package plan

import (
	"cmp"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Budget is what a generated plan may spend.
type Budget struct {
	// Faults is how many faults the plan has.
	Faults int
	// Duration is the run's length: every fault is injected and healed
	// within it.
	Duration time.Duration
	// Kinds are the kinds it may draw; every kind the fleet has a target
	// for if empty. A kind listed here that the fleet has no target for is
	// an error, not silently skipped.
	Kinds []Kind
	// Fleet is the system the plan runs against.
	Fleet Fleet
	// Settle is the plan's settle bound; 30 s if zero.
	Settle time.Duration
}

// DefaultSettle is a generated plan's settle bound when the budget gives
// none: a reconnect backoff, a heartbeat timeout and a status flush, with
// room for a loaded 2-core machine.
const DefaultSettle = 30 * time.Second

// timeStep is the granularity of generated times and windows: a plan a
// person reads has 2.3s, not 2.318735s, and nothing here is finer.
const timeStep = 100 * time.Millisecond

// maxTriesPerFault bounds the draws for a fault that keeps overlapping
// another on the same target.
const maxTriesPerFault = 100

// Generate draws a plan from seed within budget. The same seed and budget
// give the same plan, byte for byte once marshalled: the draws come from a
// PCG source seeded by seed alone, in a fixed order over the catalogue and
// the fleet's lists (never a map's).
func Generate(seed uint64, b Budget) (*Plan, error) {
	var fleetErrs errorList
	validateFleet(&b.Fleet, &fleetErrs)
	if err := fleetErrs.err(""); err != nil {
		return nil, fmt.Errorf("generate: the budget's fleet: %w", err)
	}
	if b.Faults < 0 {
		return nil, fmt.Errorf("generate: a negative number of faults (%d)", b.Faults)
	}
	if b.Faults > 0 && b.Duration <= 0 {
		return nil, errors.New("generate: the budget needs a positive duration to place faults in")
	}
	choices, err := generatable(b)
	if err != nil {
		return nil, err
	}
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	var faults []Fault
	for tries := 0; len(faults) < b.Faults; tries++ {
		if tries >= maxTriesPerFault*b.Faults {
			return nil, fmt.Errorf("generate: placed only %d of %d faults without two exclusive ones overlapping on a target in %s: give a longer duration, a larger fleet or fewer faults",
				len(faults), b.Faults, FormatDuration(b.Duration))
		}
		f := draw(r, choices, b.Duration)
		if d, ok := b.Fleet.Device(f.Target.Name); ok && f.Target.Type == TargetDevice && f.At < d.Start {
			continue // the device is not running yet
		}
		if !slices.ContainsFunc(faults, func(g Fault) bool { _, c := conflict(f, g); return c }) {
			faults = append(faults, f)
		}
	}
	slices.SortStableFunc(faults, func(a, b Fault) int { return cmp.Compare(a.At, b.At) })
	settle := b.Settle
	if settle == 0 {
		settle = DefaultSettle
	}
	s := seed
	fl := b.Fleet
	p := &Plan{Name: "seed-" + strconv.FormatUint(seed, 10), Seed: &s, Settle: settle, Fleet: fl, Faults: faults}
	p = p.Clone() // the plan owns its fleet's slices, not the budget
	if err := p.Validate(); err != nil {
		return nil, fmt.Errorf("generate: drew an invalid plan (a bug in the generator): %w", err)
	}
	return p, nil
}

// choice is a kind with the targets the fleet offers it.
type choice struct {
	spec    KindSpec
	targets []Target
}

// generatable lists the kinds the budget allows with their targets, in
// catalogue order.
func generatable(b Budget) ([]choice, error) {
	for _, k := range b.Kinds {
		if _, ok := k.Spec(); !ok {
			return nil, fmt.Errorf("generate: unknown fault kind %q; known kinds: %s", k, strings.Join(KindNames(), ", "))
		}
	}
	var out []choice
	var unplaceable []string
	for _, spec := range kinds {
		if len(b.Kinds) > 0 && !slices.Contains(b.Kinds, spec.Kind) {
			continue
		}
		ts := targetsFor(spec, &b.Fleet)
		switch {
		case len(ts) == 0:
			unplaceable = append(unplaceable, fmt.Sprintf("%s (no %s in the fleet qualifies)", spec.Kind, targetTypes(spec.Targets)))
		case spec.gen.minWindow > b.Duration && b.Faults > 0:
			unplaceable = append(unplaceable, fmt.Sprintf("%s (its shortest window, %s, exceeds the duration)", spec.Kind, FormatDuration(spec.gen.minWindow)))
		default:
			out = append(out, choice{spec: spec, targets: ts})
			continue
		}
		if len(b.Kinds) > 0 {
			return nil, fmt.Errorf("generate: the budget allows %s", unplaceable[len(unplaceable)-1])
		}
	}
	if len(out) == 0 && b.Faults > 0 {
		return nil, fmt.Errorf("generate: no fault kind can be placed: %s", strings.Join(unplaceable, "; "))
	}
	return out, nil
}

// targetsFor lists, in the fleet's order, the targets a kind may be aimed
// at.
func targetsFor(spec KindSpec, f *Fleet) []Target {
	var out []Target
	for _, tt := range spec.Targets {
		switch tt {
		case TargetDevice:
			for _, d := range f.Devices {
				if spec.Backends == nil || slices.Contains(spec.Backends, d.Backend) {
					out = append(out, Device(d.Name))
				}
			}
		case TargetGateway, TargetController:
			if spec.InContainer && f.SUTMode() != SUTContainers {
				continue
			}
			if tt == TargetGateway {
				for _, g := range f.GatewayNames() {
					out = append(out, Gateway(g))
				}
				continue
			}
			out = append(out, LeaderController)
			if n := f.ControllerCount(); n > 1 {
				for i := range n {
					out = append(out, Controller(i))
				}
			}
		case TargetEtcd:
			out = append(out, Etcd)
		case TargetVehicle:
			for _, v := range f.Vehicles {
				out = append(out, Vehicle(v.Name))
			}
		}
	}
	return out
}

// draw draws one fault: a kind, a target, a window that fits the run, a
// time, then the kind's parameters.
func draw(r *rand.Rand, choices []choice, run time.Duration) Fault {
	c := choices[r.IntN(len(choices))]
	f := Fault{Kind: c.spec.Kind, Target: c.targets[r.IntN(len(c.targets))]}
	if c.spec.Window != WindowNone {
		f.Duration = drawDuration(r, c.spec.gen.minWindow, min(c.spec.gen.maxWindow, run), timeStep)
	}
	f.At = drawDuration(r, 0, run-f.Duration, timeStep)
	if c.spec.gen.params != nil {
		c.spec.gen.params(r, &f)
	}
	return f
}
