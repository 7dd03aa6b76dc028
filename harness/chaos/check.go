package chaos

import (
	"context"
	"time"

	"github.com/wasmbed/wasmbed/harness/chaos/invariant"
)

// checkDuring checks the Always invariants every Interval while the plan
// runs. The first violation stops the plan: its faults are healed at once
// and nothing more is injected, which keeps a failing run (and each of the
// shrinker's re-runs) short.
func (r *runner) checkDuring(ctx context.Context, stopPlan context.CancelCauseFunc, res *Result) {
	var always []invariant.Invariant
	for _, inv := range r.o.Invariants {
		if inv.Phase == invariant.Always {
			always = append(always, inv)
		}
	}
	if len(always) == 0 {
		return
	}
	for {
		if !r.sleepUntil(ctx.Done(), r.clock.Now().Add(r.o.Interval)) {
			return
		}
		failed := r.checkAll(ctx, always, true)
		if ctx.Err() != nil {
			// The faults are over or the plan stopped: a check cut short
			// says nothing.
			return
		}
		res.Checks++
		if len(failed) > 0 {
			for _, v := range failed {
				r.journal.record(r.clock.Now(), Event{Event: EventViolation, Invariant: v.Invariant, Error: v.Err.Error()})
			}
			res.Violations = append(res.Violations, failed...)
			stopPlan(errViolated)
			return
		}
	}
}

// checkSettled checks every invariant after the plan until all hold at
// once, or until the settle bound after the last heal passes; what still
// fails then is violated. A failure before the bound is journalled as
// unsettled when it first shows or changes, so the journal says what the
// system was waiting for without repeating it every interval.
func (r *runner) checkSettled(ctx context.Context, res *Result) {
	facts := r.ledger.facts(r.clock.Now())
	lastChange, deadline := facts.LastChange(), facts.SettleDeadline()
	seen := map[string]string{}
	for {
		now := r.clock.Now()
		failed := r.checkAll(ctx, r.o.Invariants, false)
		if ctx.Err() != nil {
			return
		}
		res.Checks++
		if len(failed) == 0 {
			res.Settled, res.SettledAfter = true, max(now.Sub(lastChange), 0)
			r.journal.record(now, Event{Event: EventSettled})
			return
		}
		if !now.Before(deadline) {
			for _, v := range failed {
				r.journal.record(now, Event{Event: EventViolation, Invariant: v.Invariant, Error: v.Err.Error()})
			}
			res.Violations = append(res.Violations, failed...)
			return
		}
		for _, v := range failed {
			if msg := v.Err.Error(); seen[v.Invariant] != msg {
				seen[v.Invariant] = msg
				r.journal.record(now, Event{Event: EventUnsettled, Invariant: v.Invariant, Error: msg})
			}
		}
		if !r.sleepUntil(ctx.Done(), minTime(now.Add(r.o.Interval), deadline)) {
			return
		}
	}
}

// checkAll runs each invariant once, each with its own timeout, and
// returns those that failed.
func (r *runner) checkAll(ctx context.Context, invs []invariant.Invariant, during bool) []*invariant.Violation {
	var failed []*invariant.Violation
	for _, inv := range invs {
		facts := r.ledger.facts(r.clock.Now())
		cctx, cancel := context.WithTimeout(ctx, r.o.CheckTimeout)
		err := inv.Check(cctx, facts)
		cancel()
		if err != nil {
			failed = append(failed, &invariant.Violation{Invariant: inv.Name, During: during, At: r.clock.Now().Sub(r.start), Err: err})
		}
	}
	return failed
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
