package invariant

import (
	"context"
	"fmt"
	"time"
)

// Phase says when an invariant must hold.
type Phase int

const (
	// Always: at every check, while faults are in and after.
	Always Phase = iota
	// Settled: once the last fault is healed, within the plan's settle
	// bound.
	Settled
)

func (p Phase) String() string {
	switch p {
	case Always:
		return "always"
	case Settled:
		return "settled"
	}
	return fmt.Sprintf("Phase(%d)", int(p))
}

// Check tests the live system; nil means the invariant holds. The error
// says what was seen, for a person: "device d-3 is Unreachable", not
// "false".
type Check func(ctx context.Context, f Facts) error

// Invariant is a named check.
type Invariant struct {
	// Name is how failures name it (kebab-case, from the Catalogue).
	Name  string
	Phase Phase
	Check Check
	// Prepare, if set, runs once before the first fault is injected: an
	// invariant that compares against a baseline (goroutines, open fds)
	// takes it here.
	Prepare func(ctx context.Context) error
}

// Violation is an invariant that did not hold.
type Violation struct {
	Invariant string
	// During is true when it was seen while faults were in (an Always
	// invariant), false when it still failed at the settle bound.
	During bool
	// At is when it was seen, from the plan's start.
	At  time.Duration
	Err error
}

func (v *Violation) Error() string {
	when := "at the settle bound"
	if v.During {
		when = "during the plan"
	}
	return fmt.Sprintf("invariant %s violated %s (%s after the start): %v", v.Invariant, when, v.At.Round(time.Millisecond), v.Err)
}

func (v *Violation) Unwrap() error { return v.Err }
