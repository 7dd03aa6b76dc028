package chaos

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/wasmbed/wasmbed/harness/chaos/plan"
)

// The files a run writes in its folder.
const (
	// JournalFile holds one Event a line.
	JournalFile = "chaos-events.jsonl"
	// PlanFile is the plan as run, in canonical form.
	PlanFile = "chaos-plan.yaml"
)

// What an Event records.
const (
	EventStart     = "start"     // the plan started
	EventBoot      = "boot"      // a device with a late start was powered on
	EventInject    = "inject"    // a fault went in (Error: it failed to)
	EventHeal      = "heal"      // a fault was undone (Error: undoing failed)
	EventFlapDown  = "flap-down" // a flapping link went down again
	EventFlapUp    = "flap-up"   // a flapping link came up
	EventSkip      = "skip"      // a fault (or a boot) never happened: the plan stopped first
	EventViolation = "violation" // an invariant did not hold
	EventUnsettled = "unsettled" // an invariant did not hold yet, before the settle bound
	EventSettled   = "settled"   // every invariant held after the plan
	EventEnd       = "end"       // the run is over (Error: why it stopped early)
)

// Event is one line of the journal.
type Event struct {
	Time time.Time `json:"time"`
	// Offset is the time since the plan's start, as a plan spells it.
	Offset string `json:"offset"`
	Event  string `json:"event"`
	// Fault is the fault's index in the plan.
	Fault  *int   `json:"fault,omitempty"`
	Kind   string `json:"kind,omitempty"`
	Target string `json:"target,omitempty"`
	// Resolved is the replica a fault on the leading controller hit.
	Resolved  string `json:"resolved,omitempty"`
	Invariant string `json:"invariant,omitempty"`
	Error     string `json:"error,omitempty"`
}

// journal writes Events to the run's folder, one line each, as they
// happen: a run that is killed still leaves what it did.
type journal struct {
	mu      sync.Mutex
	f       *os.File
	start   time.Time
	onEvent func(Event)
	err     error
}

// openJournal creates the journal and writes the plan beside it. It
// refuses a folder that already holds a journal: two runs in one file
// could not be told apart, and overwriting would lose the first.
func openJournal(dir string, p *plan.Plan, onEvent func(Event)) (*journal, error) {
	if dir == "" {
		return nil, errors.New("chaos: Options.Dir is required: the run's report folder, where the journal goes")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(filepath.Join(dir, JournalFile), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		if errors.Is(err, os.ErrExist) {
			return nil, fmt.Errorf("chaos: %s already holds a run's journal; give each run a folder of its own", dir)
		}
		return nil, err
	}
	b, err := p.Marshal()
	if err == nil {
		err = os.WriteFile(filepath.Join(dir, PlanFile), b, 0o644)
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("chaos: write the plan: %w", err)
	}
	return &journal{f: f, onEvent: onEvent}, nil
}

// record writes e, stamped with now; the first write error is kept for
// the end of the run, which it does not stop.
func (j *journal) record(now time.Time, e Event) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.start.IsZero() {
		j.start = now
	}
	e.Time = now
	e.Offset = plan.FormatDuration(now.Sub(j.start))
	b, err := json.Marshal(e)
	if err == nil {
		_, err = j.f.Write(append(b, '\n'))
	}
	if err != nil && j.err == nil {
		j.err = fmt.Errorf("chaos: journal: %w", err)
	}
	if j.onEvent != nil {
		j.onEvent(e)
	}
}

func (j *journal) close() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	return errors.Join(j.err, j.f.Close())
}

// faultEvent is an Event about fault i.
func faultEvent(event string, i int, f plan.Fault) Event {
	return Event{Event: event, Fault: &i, Kind: string(f.Kind), Target: f.Target.String()}
}

// ReadJournal reads a run's journal back, for tests and reports.
func ReadJournal(dir string) ([]Event, error) {
	b, err := os.ReadFile(filepath.Join(dir, JournalFile))
	if err != nil {
		return nil, err
	}
	var out []Event
	dec := json.NewDecoder(bytes.NewReader(b))
	for dec.More() {
		var e Event
		if err := dec.Decode(&e); err != nil {
			return out, fmt.Errorf("chaos: %s: event %d: %w", JournalFile, len(out), err)
		}
		out = append(out, e)
	}
	return out, nil
}
