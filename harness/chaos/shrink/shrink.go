package shrink

import (
	"context"
	"errors"
	"fmt"
	"time"

	"k8s.io/utils/clock"

	"github.com/wasmbed/wasmbed/harness/chaos/plan"
)

// Run runs one candidate plan against a fresh system, with the plan's
// seed, and reports whether it failed (an invariant was violated). An
// error means the run could not tell.
type Run func(ctx context.Context, p *plan.Plan) (failed bool, err error)

// Options bound and observe a shrink.
type Options struct {
	// Run runs a candidate. Required.
	Run Run
	// MaxRuns bounds the candidates run; 100 if zero.
	MaxRuns int
	// Budget bounds the time spent; none if zero. A run still going when
	// it is spent is cancelled through its context.
	Budget time.Duration
	// Clock measures the Budget; the real clock if nil.
	Clock clock.PassiveClock
	// MinWindow is the shortest window halving may reach; 100 ms if zero.
	MinWindow time.Duration
	// Progress, if set, is told of every run.
	Progress func(Step)
}

// Step is one run of a candidate.
type Step struct {
	// Run counts the runs made, this one included.
	Run int
	// Phase is what the candidate tries: "faults", "windows" or
	// "devices".
	Phase string
	// Candidate is the size of the plan run; Best the smallest failing
	// one so far.
	Candidate, Best Size
	Failed          bool
	Err             error
}

// Size is how big a plan is, in the terms shrinking reduces.
type Size struct {
	Faults, Devices int
	// Window is the sum of the faults' windows.
	Window time.Duration
}

func sizeOf(p *plan.Plan) Size {
	s := Size{Faults: len(p.Faults), Devices: len(p.Fleet.Devices)}
	for _, f := range p.Faults {
		s.Window += f.Duration
	}
	return s
}

func (s Size) String() string {
	return fmt.Sprintf("%d faults, %d devices, %s of windows", s.Faults, s.Devices, plan.FormatDuration(s.Window))
}

// Report is how far a shrink got.
type Report struct {
	// Plan is the smallest plan seen to fail: the input if no smaller one
	// did.
	Plan           *plan.Plan
	Original, Size Size
	// Runs counts the candidates run; Errors those whose run erred (they
	// count as not failing).
	Runs, Errors int
	LastErr      error
	// OneMinimal is true when the last pass over the faults found that
	// removing any one of them makes the plan pass, and nothing changed
	// after it.
	OneMinimal bool
	// Stopped says why the shrink ended before its fixpoint ("run
	// budget", "time budget", "cancelled"); empty when it reached it.
	Stopped string
	Elapsed time.Duration
}

// Summary is the report in one line.
func (r *Report) Summary() string {
	s := fmt.Sprintf("shrunk %s to %s in %d runs", r.Original, r.Size, r.Runs)
	if r.OneMinimal {
		s += ", 1-minimal"
	} else {
		s += ", not shown 1-minimal"
	}
	if r.Stopped != "" {
		s += "; stopped early: " + r.Stopped
	}
	if r.Errors > 0 {
		s += fmt.Sprintf("; %d runs erred (last: %v)", r.Errors, r.LastErr)
	}
	return s
}

// Shrink minimises p, a plan seen to fail, and returns the smallest
// failing plan it finds with how far it got. It returns an error only
// for bad options or an invalid p; running out of budget is in the
// report.
func Shrink(ctx context.Context, p *plan.Plan, o Options) (*Report, error) {
	if o.Run == nil {
		return nil, errors.New("shrink: Options.Run is required")
	}
	if err := p.Validate(); err != nil {
		return nil, fmt.Errorf("shrink: %w", err)
	}
	if o.MaxRuns <= 0 {
		o.MaxRuns = 100
	}
	if o.Clock == nil {
		o.Clock = clock.RealClock{}
	}
	if o.MinWindow <= 0 {
		o.MinWindow = 100 * time.Millisecond
	}
	if o.Budget > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeoutCause(ctx, o.Budget, errTimeBudget)
		defer cancel()
	}
	s := &shrinker{o: o, best: p.Clone(), seen: map[string]bool{}, begin: o.Clock.Now()}
	rep := &Report{Original: sizeOf(p)}
	err := s.fixpoint(ctx, rep)
	var stop *stopped
	switch {
	case errors.As(err, &stop):
		rep.Stopped = stop.reason
		rep.OneMinimal = false
	case err != nil:
		return nil, err
	}
	rep.Plan, rep.Size = s.best, sizeOf(s.best)
	rep.Runs, rep.Errors, rep.LastErr = s.runs, s.errors, s.lastErr
	rep.Elapsed = o.Clock.Since(s.begin)
	return rep, nil
}

// fixpoint repeats the three reductions until a whole pass changes
// nothing.
func (s *shrinker) fixpoint(ctx context.Context, rep *Report) error {
	for {
		before := s.key(s.best)
		minimal, err := s.faults(ctx)
		if err != nil {
			return err
		}
		afterFaults := s.key(s.best)
		if err := s.windows(ctx); err != nil {
			return err
		}
		if err := s.devices(ctx); err != nil {
			return err
		}
		if s.key(s.best) == afterFaults {
			// Nothing changed after the pass over the faults: what it
			// found holds for the result.
			rep.OneMinimal = minimal
		}
		if s.key(s.best) == before {
			return nil
		}
	}
}
