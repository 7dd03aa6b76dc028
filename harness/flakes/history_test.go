package flakes

import (
	"path/filepath"
	"testing"
	"time"
)

func TestHistoryKeepsTheLastRunsAndGivesAFlakeRate(t *testing.T) {
	path := filepath.Join(t.TempDir(), HistoryFile)
	h, err := LoadHistory(path)
	if err != nil || len(h.Runs) != 0 {
		t.Fatalf("a missing history: %v %v", h, err)
	}
	t0 := time.Date(2026, 9, 1, 2, 0, 0, 0, time.UTC)
	outcomes := []Status{Passed, Flaky, Passed, Failed, Flaky, Passed}
	for i, st := range outcomes {
		h.Add(runID(i), t0.Add(time.Duration(i)*24*time.Hour), []Spec{
			{Name: "wobbly", Status: st},
			{Name: "steady", Status: Passed},
			{Name: "never runs", Status: Skipped},
		}, 5)
	}
	if len(h.Runs) != 5 || h.Runs[0].ID != runID(1) {
		t.Fatalf("kept %d runs starting at %s, want the last 5", len(h.Runs), h.Runs[0].ID)
	}
	// The same run reported again replaces itself: the rate must not
	// count it twice.
	h.Add(runID(5), t0.Add(5*24*time.Hour), []Spec{{Name: "wobbly", Status: Passed}, {Name: "wobbly", Status: Flaky}, {Name: "steady", Status: Passed}}, 5)
	if err := h.Save(path); err != nil {
		t.Fatal(err)
	}
	h, err = LoadHistory(path)
	if err != nil {
		t.Fatal(err)
	}
	r := h.Rate("wobbly", 5)
	if r != (Rate{Runs: 5, Passed: 1, Flaky: 3, Failed: 1}) || r.FlakeRate() != 0.6 {
		t.Errorf("wobbly over 5 runs: %+v (%.2f)", r, r.FlakeRate())
	}
	if r := h.Rate("wobbly", 2); r != (Rate{Runs: 2, Flaky: 2}) {
		t.Errorf("wobbly over 2 runs: %+v", r)
	}
	if r := h.Rate("never runs", 5); r.Runs != 0 || r.FlakeRate() != 0 {
		t.Errorf("a skipped spec: %+v", r)
	}
}

func runID(i int) string { return "run-" + string(rune('a'+i)) }
