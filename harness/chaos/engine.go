package chaos

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"k8s.io/utils/clock"

	"github.com/wasmbed/wasmbed/harness/chaos/invariant"
	"github.com/wasmbed/wasmbed/harness/chaos/plan"
)

// Options shape a run.
type Options struct {
	// Dir is the run's report folder; the journal and the plan go there.
	// Required, and it must not hold a journal already.
	Dir string
	// Invariants are checked at every Interval while faults are in (the
	// Always ones) and, after the last fault healed, until they all hold
	// or the plan's settle bound passes.
	Invariants []invariant.Invariant
	// Interval between checks; 1 s if zero.
	Interval time.Duration
	// CheckTimeout bounds one check (an API call hangs while etcd is
	// stalled); 10 s if zero.
	CheckTimeout time.Duration
	// HealTimeout bounds one undo after the plan was stopped early (a QEMU
	// guest powering on under TCG is slow); 2 min if zero.
	HealTimeout time.Duration
	// Clock drives the schedule; the real clock if nil.
	Clock clock.Clock
	// OnEvent, if set, sees every journal event as it is written: the
	// run's progress for a person watching.
	OnEvent func(Event)
}

// Run runs the plan against the live system t and checks the invariants.
//
// The Result says what happened and which invariants were violated. The
// error is for trouble other than a violation: a plan the testbed cannot
// run, a fault that failed to go in or to come out, a journal that could
// not be written, or ctx ending the run. Whatever ends the run, every
// fault that went in is undone before Run returns.
func Run(ctx context.Context, p *plan.Plan, t Targets, o Options) (*Result, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	if err := missingTargets(p, t); err != nil {
		return nil, err
	}
	for _, inv := range o.Invariants {
		if inv.Name == "" || inv.Check == nil {
			return nil, fmt.Errorf("chaos: an invariant without a name or a check: %+v", inv)
		}
	}
	o.defaults()
	j, err := openJournal(o.Dir, p, o.OnEvent)
	if err != nil {
		return nil, err
	}
	r := &runner{p: p, targets: t, o: o, clock: o.Clock, journal: j}
	res := r.run(ctx)
	return res, errors.Join(r.err(), j.close())
}

func (o *Options) defaults() {
	if o.Interval <= 0 {
		o.Interval = time.Second
	}
	if o.CheckTimeout <= 0 {
		o.CheckTimeout = 10 * time.Second
	}
	if o.HealTimeout <= 0 {
		o.HealTimeout = 2 * time.Minute
	}
	if o.Clock == nil {
		o.Clock = clock.RealClock{}
	}
}

// runner is one run of a plan.
type runner struct {
	p       *plan.Plan
	targets Targets
	o       Options
	clock   clock.Clock
	journal *journal
	ledger  *ledger
	start   time.Time

	mu       sync.Mutex
	troubles []error
}

// trouble keeps an error that is not a violation for Run's caller.
func (r *runner) trouble(err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.troubles = append(r.troubles, err)
}

func (r *runner) err() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return errors.Join(r.troubles...)
}

// errViolated stops the plan when an Always invariant fails during it.
var errViolated = errors.New("an invariant was violated")

func (r *runner) run(ctx context.Context) *Result {
	res := &Result{Plan: r.p, Dir: r.o.Dir}
	for _, inv := range r.o.Invariants {
		if inv.Prepare == nil {
			continue
		}
		if err := inv.Prepare(ctx); err != nil {
			r.trouble(fmt.Errorf("invariant %s: prepare: %w", inv.Name, err))
			r.journal.record(r.clock.Now(), Event{Event: EventEnd, Error: r.err().Error()})
			return res
		}
	}
	r.start = r.clock.Now()
	r.ledger = &ledger{p: r.p, start: r.start}
	res.Start = r.start
	r.journal.record(r.start, Event{Event: EventStart})

	planCtx, stopPlan := context.WithCancelCause(ctx)
	defer stopPlan(nil)
	// timeline is every goroutine that acts at a time of the plan: the
	// late boots and the faults.
	var timeline sync.WaitGroup
	for _, d := range r.p.Fleet.Devices {
		if d.Start > 0 {
			timeline.Add(1)
			go func() {
				defer timeline.Done()
				r.boot(planCtx, stopPlan, d)
			}()
		}
	}
	for i, f := range r.p.Faults {
		timeline.Add(1)
		go func() {
			defer timeline.Done()
			r.runFault(planCtx, stopPlan, i, f)
		}()
	}
	// The checks during the plan end with its faults: checkCtx ends when
	// the last fault is healed, or earlier if the plan stops.
	checkCtx, stopChecks := context.WithCancel(planCtx)
	checkerDone := make(chan struct{})
	go func() {
		defer close(checkerDone)
		r.checkDuring(checkCtx, stopPlan, res)
	}()
	timeline.Wait()
	stopChecks()
	<-checkerDone
	r.ledger.end()

	// The invariants settle only after a plan that ran to its end: one
	// stopped by a violation has its finding, one stopped by a fault that
	// did not go in has its trouble.
	if context.Cause(planCtx) == nil {
		r.checkSettled(ctx, res)
	}
	if ctx.Err() != nil {
		r.trouble(fmt.Errorf("chaos: run stopped: %w", context.Cause(ctx)))
	}
	res.End = r.clock.Now()
	res.Windows = r.ledger.facts(res.End).Windows
	end := Event{Event: EventEnd}
	if err := r.err(); err != nil {
		end.Error = err.Error()
	} else if res.Failed() {
		end.Error = res.Violations[0].Error()
	}
	r.journal.record(res.End, end)
	return res
}

// runFault injects fault i at its time and heals it when its window
// closes, or as soon as the plan stops. It heals with a context of its
// own: the plan's may be the reason it stopped.
func (r *runner) runFault(ctx context.Context, stopPlan context.CancelCauseFunc, i int, f plan.Fault) {
	if !r.sleepUntil(ctx.Done(), r.start.Add(f.At)) {
		r.journal.record(r.clock.Now(), faultEvent(EventSkip, i, f))
		return
	}
	u, hit, err := actions[f.Kind].inject(ctx, r, i, f)
	now := r.clock.Now()
	e := faultEvent(EventInject, i, f)
	if hit != f.Target && !hit.IsZero() {
		e.Resolved = hit.String()
	}
	if err != nil {
		e.Error = err.Error()
		if ctx.Err() == nil {
			// The plan did not stop it: the harness could not inject.
			r.trouble(fmt.Errorf("faults[%d] (%s on %s) did not go in: %w", i, f.Kind, f.Target, err))
			stopPlan(fmt.Errorf("faults[%d] did not go in", i))
		}
	}
	r.journal.record(now, e)
	if hit.IsZero() {
		hit = f.Target
	}
	r.ledger.injected(i, f, hit, now)
	if u == nil {
		r.ledger.healed(i, now)
		return
	}
	r.sleepUntil(ctx.Done(), r.start.Add(f.End()))
	healCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), r.o.HealTimeout)
	defer cancel()
	herr := u(healCtx)
	now = r.clock.Now()
	h := faultEvent(EventHeal, i, f)
	if herr != nil {
		h.Error = herr.Error()
		r.trouble(fmt.Errorf("faults[%d] (%s on %s) could not be healed; it may still be in: %w", i, f.Kind, f.Target, herr))
	}
	r.journal.record(now, h)
	r.ledger.healed(i, now)
}

// boot powers a device with a late start on at its time. Booting is not
// a fault: nothing undoes it.
func (r *runner) boot(ctx context.Context, stopPlan context.CancelCauseFunc, d plan.FleetDevice) {
	e := Event{Event: EventBoot, Target: plan.Device(d.Name).String()}
	if !r.sleepUntil(ctx.Done(), r.start.Add(d.Start)) {
		e.Event = EventSkip
		r.journal.record(r.clock.Now(), e)
		return
	}
	if err := r.targets.Power.On(ctx, d.Name); err != nil {
		e.Error = err.Error()
		if ctx.Err() == nil {
			r.trouble(fmt.Errorf("device %s did not start at %s: %w", d.Name, plan.FormatDuration(d.Start), err))
			stopPlan(fmt.Errorf("device %s did not start", d.Name))
		}
	}
	now := r.clock.Now()
	r.journal.record(now, e)
	r.ledger.booted(d.Name, now)
}

// sleepUntil waits on the engine's clock until t, and reports whether it
// got there before stop was closed.
func (r *runner) sleepUntil(stop <-chan struct{}, t time.Time) bool {
	select {
	case <-stop:
		return false
	default:
	}
	d := t.Sub(r.clock.Now())
	if d <= 0 {
		return true
	}
	timer := r.clock.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C():
		return true
	case <-stop:
		return false
	}
}
