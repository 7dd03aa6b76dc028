package shrink

import (
	"context"
	"time"

	"github.com/wasmbed/wasmbed/harness/chaos/plan"
)

// minLatency is the smallest latency halving may reach: below it a link
// delay is noise on a loaded machine.
const minLatency = 10 * time.Millisecond

// windows halves each fault's window, and each latency, one at a time,
// keeping every halving that still fails, until none does. A halving that
// makes the plan invalid (a flap's period longer than its window) is not
// run.
func (s *shrinker) windows(ctx context.Context) error {
	for changed := true; changed; {
		changed = false
		for i := range s.best.Faults {
			for _, halve := range []func(*plan.Fault) bool{
				func(f *plan.Fault) bool { return halveDuration(&f.Duration, s.o.MinWindow) },
				func(f *plan.Fault) bool { return halveDuration(&f.Latency, minLatency) },
			} {
				cand := s.best.Clone()
				if !halve(&cand.Faults[i]) {
					continue
				}
				failed, err := s.fails(ctx, "windows", cand)
				if err != nil {
					return err
				}
				changed = changed || failed
			}
		}
	}
	return nil
}

// halveDuration halves *d, to the millisecond, unless that would take it
// under floor (or it is unset).
func halveDuration(d *time.Duration, floor time.Duration) bool {
	half := (*d / 2).Round(time.Millisecond)
	if *d == 0 || half < floor {
		return false
	}
	*d = half
	return true
}
