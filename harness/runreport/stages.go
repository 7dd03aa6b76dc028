package runreport

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// StagesFile is the record `harness nightly` keeps in the run folder.
const StagesFile = "stages.json"

// Stage statuses.
const (
	StagePassed   = "passed"
	StageFailed   = "failed"   // fails the gate
	StageFlaky    = "flaky"    // passed, with flaky specs
	StageSkipped  = "skipped"  // could not run here; Reason says why
	StageError    = "error"    // the stage's machinery failed, not the code under test; Reason says how
	StageRan      = "ran"      // a spec stage: the report judges it from its Ginkgo reports
	StageIncluded = "included" // its work ran inside another stage; Reason says which
)

// Stage is one step of a nightly run.
type Stage struct {
	Name string `json:"name"`
	// What says what the stage does, in a few words.
	What   string `json:"what,omitempty"`
	Status string `json:"status"`
	// Reason says why a stage was skipped, errored or failed.
	Reason   string        `json:"reason,omitempty"`
	Start    time.Time     `json:"start"`
	Duration time.Duration `json:"duration"`
	// Log is the stage's output, relative to the run folder.
	Log string `json:"log,omitempty"`
	// Reports are the Ginkgo JSON reports a spec stage wrote, relative to
	// the run folder.
	Reports []string `json:"reports,omitempty"`
	// Artifacts are files the stage produced worth a link (a fuzz
	// reproducer), relative to the run folder.
	Artifacts []string `json:"artifacts,omitempty"`
}

// Stages is a nightly run's record.
type Stages struct {
	Run    string    `json:"run"`
	Start  time.Time `json:"start"`
	End    time.Time `json:"end,omitzero"`
	Stages []Stage   `json:"stages"`
}

// ReadStages reads dir/stages.json; ok is false if the run was not a
// nightly one (make run, make smoke).
func ReadStages(dir string) (s Stages, ok bool, err error) {
	b, err := os.ReadFile(filepath.Join(dir, StagesFile))
	if errors.Is(err, os.ErrNotExist) {
		return Stages{}, false, nil
	}
	if err != nil {
		return Stages{}, false, err
	}
	if err := json.Unmarshal(b, &s); err != nil {
		return Stages{}, false, fmt.Errorf("%s: %w", StagesFile, err)
	}
	return s, true, nil
}

// Write replaces dir/stages.json; called after every stage, so a run that
// is killed still says how far it got.
func (s Stages) Write(dir string) error {
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	tmp := filepath.Join(dir, "."+StagesFile+".tmp")
	if err := os.WriteFile(tmp, append(b, '\n'), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, filepath.Join(dir, StagesFile))
}
