package flakes

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"
)

// HistoryFile is the history's name under reports/.
const HistoryFile = "history.json"

// DefaultKeep is how many runs the history keeps.
const DefaultKeep = 30

// History is each spec's outcome in each of the last runs, oldest run
// first.
type History struct {
	Runs []Run `json:"runs"`
}

// Run is one run's outcomes, by spec name.
type Run struct {
	ID    string            `json:"id"`
	Time  time.Time         `json:"time"`
	Specs map[string]Status `json:"specs"`
}

// LoadHistory reads the history at path; a missing file is an empty
// history.
func LoadHistory(path string) (*History, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return &History{}, nil
	}
	if err != nil {
		return nil, err
	}
	var h History
	if err := json.Unmarshal(b, &h); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &h, nil
}

// Save writes the history to path, replacing it whole: a reader never
// sees half a file.
func (h *History) Save(path string) error {
	b, err := json.MarshalIndent(h, "", "  ")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".history-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(append(b, '\n')); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// Add records a run's specs, replacing an earlier record of the same run
// (the report may be written twice), and keeps the last keep runs. A spec
// that ran in two stages of the run takes its worse outcome; skipped and
// pending specs are left out, as they say nothing about flakiness.
func (h *History) Add(id string, at time.Time, specs []Spec, keep int) {
	r := Run{ID: id, Time: at, Specs: map[string]Status{}}
	for _, s := range specs {
		if s.Status.rank() == 0 {
			continue
		}
		if old, ok := r.Specs[s.Name]; !ok || s.Status.rank() > old.rank() {
			r.Specs[s.Name] = s.Status
		}
	}
	h.Runs = slices.DeleteFunc(h.Runs, func(o Run) bool { return o.ID == id })
	h.Runs = append(h.Runs, r)
	slices.SortStableFunc(h.Runs, func(a, b Run) int { return a.Time.Compare(b.Time) })
	if keep > 0 && len(h.Runs) > keep {
		h.Runs = h.Runs[len(h.Runs)-keep:]
	}
}

// Rate is a spec's record over the last runs it ran in.
type Rate struct {
	Runs, Passed, Flaky, Failed int
}

// FlakeRate is the share of those runs in which the spec flaked.
func (r Rate) FlakeRate() float64 {
	if r.Runs == 0 {
		return 0
	}
	return float64(r.Flaky) / float64(r.Runs)
}

// Rate counts the spec's outcomes over the last n runs of the history.
func (h *History) Rate(name string, n int) Rate {
	runs := h.Runs
	if n > 0 && len(runs) > n {
		runs = runs[len(runs)-n:]
	}
	var r Rate
	for _, run := range runs {
		switch run.Specs[name] {
		case Passed:
			r.Runs++
			r.Passed++
		case Flaky:
			r.Runs++
			r.Flaky++
		case Failed:
			r.Runs++
			r.Failed++
		}
	}
	return r
}
