package chaos

import (
	"slices"
	"sync"
	"time"

	"github.com/wasmbed/wasmbed/harness/chaos/invariant"
	"github.com/wasmbed/wasmbed/harness/chaos/plan"
)

// ledger is the engine's account of which faults are in and when each
// went in and came out: the Facts every invariant check gets.
type ledger struct {
	mu      sync.Mutex
	p       *plan.Plan
	start   time.Time
	windows []invariant.Window
	boots   []invariant.Boot
	ended   bool
}

func (l *ledger) booted(device string, at time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.boots = append(l.boots, invariant.Boot{Device: device, At: at})
}

func (l *ledger) injected(i int, f plan.Fault, hit plan.Target, at time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.windows = append(l.windows, invariant.Window{Fault: i, Kind: f.Kind, Target: f.Target, Resolved: hit, Injected: at})
}

func (l *ledger) healed(i int, at time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if j := slices.IndexFunc(l.windows, func(w invariant.Window) bool { return w.Fault == i }); j >= 0 {
		l.windows[j].Healed = at
	}
}

func (l *ledger) end() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.ended = true
}

// facts is a copy the check may keep.
func (l *ledger) facts(now time.Time) invariant.Facts {
	l.mu.Lock()
	defer l.mu.Unlock()
	return invariant.Facts{Plan: l.p, Start: l.start, Now: now, Ended: l.ended, Windows: slices.Clone(l.windows), Boots: slices.Clone(l.boots)}
}
