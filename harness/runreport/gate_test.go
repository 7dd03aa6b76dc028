package runreport

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// The gate of a nightly run: a spec stage is judged from its report, a
// spec stage without a report fails (nothing was checked), an
// infrastructure error is shown but does not fail the run, a skipped
// stage says why, and a benchmark regression fails the bench stage.
func TestTheNightlyGate(t *testing.T) {
	dir := redRun(t)
	if err := os.Rename(filepath.Join(dir, "report.json"), filepath.Join(dir, "scenarios.json")); err != nil {
		t.Fatal(err)
	}
	write := func(stages ...Stage) *Run {
		t.Helper()
		s := Stages{Run: filepath.Base(dir), Start: time.Now().Add(-time.Hour), End: time.Now(), Stages: stages}
		if err := s.Write(dir); err != nil {
			t.Fatal(err)
		}
		r, err := Build(dir, options(dir))
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	status := func(r *Run, name string) string { return r.stage(name).Status }

	r := write(
		Stage{Name: "scenarios", Status: StageRan, Reports: []string{"scenarios.json"}},
		Stage{Name: "smoke-repeat", Status: StageRan, Reports: []string{"smoke-repeat.json"}},
		Stage{Name: "fuzz", Status: StageError, Reason: "infrastructure: FuzzX: toolchain download failed"},
		Stage{Name: "kind", Status: StageSkipped, Reason: "kind cannot run on this Docker engine"},
		Stage{Name: "bench", Status: StagePassed},
	)
	if status(r, "scenarios") != StageFailed || status(r, "smoke-repeat") != StageFailed || status(r, "bench") != StageFailed {
		t.Errorf("scenarios %s, smoke-repeat (no report) %s, bench (a regression) %s: want all failed",
			status(r, "scenarios"), status(r, "smoke-repeat"), status(r, "bench"))
	}
	if r.Pass || status(r, "fuzz") != StageError || status(r, "kind") != StageSkipped {
		t.Errorf("pass %v, fuzz %s, kind %s", r.Pass, status(r, "fuzz"), status(r, "kind"))
	}
	if !r.Nightly || r.WallTime() < 59*time.Minute {
		t.Errorf("nightly %v, wall time %s", r.Nightly, r.WallTime())
	}

	// Quarantine the broken spec and drop the benchmarks: the flaky spec
	// and the infrastructure error remain, and the gate passes.
	q := filepath.Join(t.TempDir(), "quarantine.txt")
	if err := os.WriteFile(q, []byte("2026-09-01 | link is cut Unreachable$ | the demo's broken spec\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	o := options(dir)
	o.Quarantine, o.BenchDir = q, ""
	s := Stages{Run: filepath.Base(dir), Stages: []Stage{
		{Name: "scenarios", Status: StageRan, Reports: []string{"scenarios.json"}},
		{Name: "fuzz", Status: StageError, Reason: "infrastructure"},
	}}
	if err := s.Write(dir); err != nil {
		t.Fatal(err)
	}
	r, err := Build(dir, o)
	if err != nil {
		t.Fatal(err)
	}
	if !r.Pass || status(r, "scenarios") != StageFlaky || r.Quarantined != 1 || len(r.Verdict.Flaky) != 1 {
		t.Errorf("pass %v, scenarios %s, quarantined %d, flaky %d", r.Pass, status(r, "scenarios"), r.Quarantined, len(r.Verdict.Flaky))
	}
}
