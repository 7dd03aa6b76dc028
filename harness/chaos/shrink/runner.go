package shrink

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/wasmbed/wasmbed/harness/chaos/plan"
)

// shrinker holds the smallest failing plan so far and runs candidates
// within the budget, each at most once.
type shrinker struct {
	o     Options
	best  *plan.Plan
	seen  map[string]bool // a candidate's canonical bytes -> it failed
	begin time.Time

	runs, errors int
	lastErr      error
}

// stopped ends a shrink early, saying why.
type stopped struct{ reason string }

func (s *stopped) Error() string { return "shrinking stopped: " + s.reason }

func (s *shrinker) key(p *plan.Plan) string {
	b, err := p.Marshal()
	if err != nil {
		// A valid plan always marshals; a key of its own keeps a plan that
		// does not from matching another.
		return fmt.Sprintf("unmarshalable %p", p)
	}
	return string(b)
}

// fails runs the candidate, unless it is invalid (it does not fail: it
// cannot run) or was run before (its outcome is known), and makes it the
// best plan if it failed. A *stopped error means the budget is spent or
// ctx ended.
func (s *shrinker) fails(ctx context.Context, phase string, cand *plan.Plan) (bool, error) {
	if cand.Validate() != nil {
		return false, nil
	}
	k := s.key(cand)
	if failed, ok := s.seen[k]; ok {
		if failed {
			s.best = cand
		}
		return failed, nil
	}
	if err := s.spent(ctx); err != nil {
		return false, err
	}
	s.runs++
	failed, err := s.o.Run(ctx, cand)
	if err != nil {
		failed = false
		s.errors++
		s.lastErr = err
		if stop := s.spent(ctx); stop != nil && ctx.Err() != nil {
			// The run was cut short by the budget or the caller: its
			// outcome is unknown, so it is not cached.
			s.report(phase, cand, false, err)
			return false, stop
		}
	}
	s.seen[k] = failed
	if failed {
		s.best = cand
	}
	s.report(phase, cand, failed, err)
	return failed, nil
}

// errTimeBudget is the cause of the context's end when the time budget
// is spent.
var errTimeBudget = errors.New("the shrink's time budget is spent")

// spent says why no further candidate may run, if so.
func (s *shrinker) spent(ctx context.Context) error {
	switch {
	case errors.Is(context.Cause(ctx), errTimeBudget) || (s.o.Budget > 0 && s.o.Clock.Since(s.begin) >= s.o.Budget):
		return &stopped{fmt.Sprintf("time budget (%s) spent", plan.FormatDuration(s.o.Budget))}
	case ctx.Err() != nil:
		return &stopped{fmt.Sprintf("cancelled (%v)", context.Cause(ctx))}
	case s.runs >= s.o.MaxRuns:
		return &stopped{fmt.Sprintf("run budget (%d runs) spent", s.o.MaxRuns)}
	}
	return nil
}

func (s *shrinker) report(phase string, cand *plan.Plan, failed bool, err error) {
	if s.o.Progress != nil {
		s.o.Progress(Step{Run: s.runs, Phase: phase, Candidate: sizeOf(cand), Best: sizeOf(s.best), Failed: failed, Err: err})
	}
}
