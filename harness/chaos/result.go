package chaos

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/wasmbed/wasmbed/harness/chaos/invariant"
	"github.com/wasmbed/wasmbed/harness/chaos/plan"
)

// Result is what a run did and found.
type Result struct {
	Plan *plan.Plan
	// Dir is the run's report folder.
	Dir        string
	Start, End time.Time
	// Windows are the faults that went in, with when they came out.
	Windows []invariant.Window
	// Violations are the invariants that did not hold: an Always one seen
	// failing while faults were in (which stops the plan), or any that
	// still failed at the settle bound.
	Violations []*invariant.Violation
	// Checks counts the rounds of invariant checks made.
	Checks int
	// Settled is true when every invariant held after the plan, and
	// SettledAfter is how long after the plan's last change (its last heal
	// or device boot) that was first seen.
	Settled      bool
	SettledAfter time.Duration
}

// Failed reports whether an invariant was violated.
func (r *Result) Failed() bool { return len(r.Violations) > 0 }

// Err is the violations as one error, each naming its invariant; nil if
// there were none.
func (r *Result) Err() error {
	errs := make([]error, len(r.Violations))
	for i, v := range r.Violations {
		errs[i] = v
	}
	return errors.Join(errs...)
}

// Summary is the run in one line, for a progress display or a report.
func (r *Result) Summary() string {
	name := r.Plan.Name
	if name == "" {
		name = "(unnamed plan)"
	}
	s := fmt.Sprintf("plan %s: %d of %d faults went in, %d checks", name, len(r.Windows), len(r.Plan.Faults), r.Checks)
	switch {
	case r.Failed():
		names := make([]string, len(r.Violations))
		for i, v := range r.Violations {
			names[i] = v.Invariant
		}
		return s + ", violated: " + strings.Join(names, ", ")
	case r.Settled:
		return s + fmt.Sprintf(", settled %s after the plan's last change", plan.FormatDuration(r.SettledAfter.Round(time.Millisecond)))
	}
	return s + ", stopped before it could settle"
}
