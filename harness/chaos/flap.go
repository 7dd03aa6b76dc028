package chaos

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/wasmbed/wasmbed/harness/chaos/plan"
)

// flap cuts the device's link now, then restores and cuts it again every
// Period until the returned undo stops it and restores the link. Phases
// are counted from the first cut on the engine's clock, so a slow call
// does not shift the ones after it. A toggle that fails is journalled and
// reported as the run's error; the flapping goes on.
func (r *runner) flap(ctx context.Context, i int, f plan.Fault) (undo, error) {
	links, device := r.targets.Links, f.Target.Name
	restore := func(ctx context.Context) error { return links.Restore(ctx, device) }
	first := r.clock.Now()
	if err := links.Cut(ctx, device); err != nil {
		return restore, err
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for n := 1; ; n++ {
			if !r.sleepUntil(stop, first.Add(f.Period*time.Duration(n))) {
				return
			}
			event, call := EventFlapUp, links.Restore
			if n%2 == 0 {
				event, call = EventFlapDown, links.Cut
			}
			e := faultEvent(event, i, f)
			if err := call(ctx, device); err != nil {
				e.Error = err.Error()
				if ctx.Err() == nil {
					// Not cut short by the plan stopping: the harness failed.
					r.trouble(fmt.Errorf("faults[%d] (%s on %s): %s: %w", i, f.Kind, f.Target, event, err))
				}
			}
			r.journal.record(r.clock.Now(), e)
		}
	}()
	return func(ctx context.Context) error {
		close(stop)
		wg.Wait()
		return restore(ctx)
	}, nil
}
