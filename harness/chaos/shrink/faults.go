package shrink

import (
	"context"

	"github.com/wasmbed/wasmbed/harness/chaos/plan"
)

// faults removes faults by ddmin and reports whether the result is
// 1-minimal.
func (s *shrinker) faults(ctx context.Context) (bool, error) {
	base := s.best
	_, minimal, err := ddmin(ctx, len(base.Faults), func(ctx context.Context, keep []int) (bool, error) {
		return s.fails(ctx, "faults", withFaults(base, keep))
	})
	return minimal, err
}

// withFaults is p with only the faults at the indices keep, in order.
func withFaults(p *plan.Plan, keep []int) *plan.Plan {
	c := p.Clone()
	c.Faults = make([]plan.Fault, len(keep))
	for i, k := range keep {
		c.Faults[i] = p.Faults[k]
	}
	return c
}
