package invariant

import (
	"slices"
	"time"

	"github.com/wasmbed/wasmbed/harness/chaos/plan"
)

// Facts is what the engine knows when it calls a check: the plan, and
// every fault injected so far with when it went in and came out.
type Facts struct {
	Plan *plan.Plan
	// Start is when the plan started; Now when the check was called.
	Start, Now time.Time
	// Ended is true once every fault of the plan has been healed (or
	// skipped): the checks of the Settled phase.
	Ended bool
	// Windows are the faults injected so far, in the order they went in.
	Windows []Window
	// Boots are the devices of the fleet the engine powered on late
	// (FleetDevice.Start), with when.
	Boots []Boot
}

// Boot is a device's first power-on by the engine.
type Boot struct {
	Device string
	At     time.Time
}

// Window is one injected fault.
type Window struct {
	// Fault is the fault's index in the plan.
	Fault  int
	Kind   plan.Kind
	Target plan.Target
	// Resolved is the replica a fault aimed at the leading controller
	// hit; equal to Target otherwise.
	Resolved plan.Target
	Injected time.Time
	// Healed is when it was undone; zero while it holds. A fault with
	// nothing to undo (power-reset, a kill left to the SUT's supervision)
	// is healed the moment it is injected: from then on only the SUT can
	// recover from it.
	Healed time.Time
}

// Active reports whether the fault still holds.
func (w Window) Active() bool { return w.Healed.IsZero() }

// ActiveWindows returns the faults that hold now.
func (f Facts) ActiveWindows() []Window {
	var out []Window
	for _, w := range f.Windows {
		if w.Active() {
			out = append(out, w)
		}
	}
	return out
}

// LastHeal is when the last fault was healed; the plan's start if none
// was. The settle bound counts from here.
func (f Facts) LastHeal() time.Time {
	last := f.Start
	for _, w := range f.Windows {
		if w.Healed.After(last) {
			last = w.Healed
		}
	}
	return last
}

// LastChange is when the plan last changed the system: its last heal or
// its last device boot, whichever is later.
func (f Facts) LastChange() time.Time {
	last := f.LastHeal()
	for _, b := range f.Boots {
		if b.At.After(last) {
			last = b.At
		}
	}
	return last
}

// SettleDeadline is when the Settled invariants must hold at the latest:
// the settle bound after the plan's last change.
func (f Facts) SettleDeadline() time.Time { return f.LastChange().Add(f.Plan.Settle) }

// On returns the faults aimed at the target (by resolved target, so a
// kill of the leader counts against the replica it hit).
func (f Facts) On(t plan.Target) []Window {
	var out []Window
	for _, w := range f.Windows {
		if w.Resolved == t || w.Target == t {
			out = append(out, w)
		}
	}
	return out
}

// FaultedDevices lists the devices some fault was aimed at, in the fleet's
// order. Devices behind a faulted gateway are not in it: they were not
// faulted, their gateway was.
func (f Facts) FaultedDevices() []string {
	var out []string
	for _, d := range f.Plan.Fleet.Devices {
		if slices.ContainsFunc(f.Windows, func(w Window) bool { return w.Target == plan.Device(d.Name) }) {
			out = append(out, d.Name)
		}
	}
	return out
}
