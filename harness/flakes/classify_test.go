package flakes

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/onsi/ginkgo/v2/types"

	"github.com/wasmbed/wasmbed/harness/summary"
)

// runFlakySuite runs testdata/flakysuite, a real Ginkgo suite whose specs
// fail on purpose, as the nightly run runs the scenarios: with
// --flake-attempts=2. It returns Ginkgo's JSON report.
func runFlakySuite(t *testing.T) []types.Report {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is needed to run the fake suite: %v", err)
	}
	report := filepath.Join(t.TempDir(), "report.json")
	cmd := exec.Command(goBin, "test", "-count=1", "./testdata/flakysuite",
		"-ginkgo.flake-attempts=2", "-ginkgo.json-report="+report)
	out, err := cmd.CombinedOutput()
	// The suite fails (two specs are broken on purpose); what matters is
	// the report.
	if err == nil {
		t.Fatalf("the fake suite passed, but two of its specs fail on purpose:\n%s", out)
	}
	reports, err := summary.Load(report)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	return reports
}

func byName(specs []Spec) map[string]Spec {
	m := map[string]Spec{}
	for _, s := range specs {
		m[strings.TrimPrefix(s.Name, "a fake scenario ")] = s
	}
	return m
}

func TestAFakeSpecThatFailsOnceIsFlakyAndOneThatFailsTwiceIsFailed(t *testing.T) {
	specs := byName(Classify(runFlakySuite(t)))

	once := specs["fails once, then passes"]
	if once.Status != Flaky || once.Attempts != 2 {
		t.Errorf("fails once, then passes: %s after %d attempts, want flaky after 2", once.Status, once.Attempts)
	}
	if len(once.Failures) != 1 || once.Failures[0].Attempt != 1 ||
		!strings.Contains(once.Failures[0].Message, "the first attempt fails on purpose") ||
		!strings.Contains(once.Failures[0].Location, "flaky_test.go") || once.Failures[0].Time.IsZero() {
		t.Errorf("the flaky spec's failure is not kept: %+v", once.Failures)
	}

	twice := specs["fails every time"]
	if twice.Status != Failed || len(twice.Failures) != 2 {
		t.Errorf("fails every time: %s with %d failures, want failed with 2", twice.Status, len(twice.Failures))
	}
	for i, f := range twice.Failures {
		if f.Attempt != i+1 || !strings.Contains(f.Message, "broken on purpose") {
			t.Errorf("failure %d: %+v", i, f)
		}
	}

	if s := specs["always passes"]; s.Status != Passed || len(s.Failures) != 0 {
		t.Errorf("always passes: %s, %+v", s.Status, s.Failures)
	}
	if s := specs["is skipped"]; s.Status != Skipped || s.SkipReason != "nothing to run here" {
		t.Errorf("is skipped: %s %q", s.Status, s.SkipReason)
	}
	if s := specs["is known to be broken"]; strings.Join(s.Labels, ",") != "fake,other" {
		t.Errorf("labels %v, want the container's and the spec's", s.Labels)
	}
}

func TestQuarantineTakesASpecOutOfTheGateButKeepsItReported(t *testing.T) {
	specs := Classify(runFlakySuite(t))
	q, err := ParseQuarantine([]byte("# known\n2026-09-01 | fake scenario is known to be broken$ | broken on purpose, see the suite\n"))
	if err != nil {
		t.Fatal(err)
	}
	v := Judge(specs, q)
	names := func(ss []Spec) string {
		var n []string
		for _, s := range ss {
			n = append(n, strings.TrimPrefix(s.Name, "a fake scenario "))
		}
		return strings.Join(n, "; ")
	}
	if got := names(v.Failed); got != "fails every time" {
		t.Errorf("failing the gate: %q", got)
	}
	if got := names(v.Flaky); got != "fails once, then passes" {
		t.Errorf("flaky: %q", got)
	}
	if got := names(v.Quarantined); got != "is known to be broken" {
		t.Errorf("quarantined: %q", got)
	}
	if v.Pass() {
		t.Error("the gate passed with a failed spec")
	}
	// With the broken one quarantined too, only flakes are left: the gate
	// passes and still lists them.
	q2, _ := ParseQuarantine([]byte("2026-09-01 | fails every time | also broken\n2026-09-01 | known to be broken | broken\n"))
	if v := Judge(specs, q2); !v.Pass() || len(v.Flaky) != 1 || len(v.Quarantined) != 2 {
		t.Errorf("with both quarantined: pass=%v flaky=%d quarantined=%d", v.Pass(), len(v.Flaky), len(v.Quarantined))
	}
}

// Under MustPassRepeatedly (the smoke specs repeated), Ginkgo stops at the
// first failing attempt: attempts before it passed with the same seed.
func TestARepeatedSpecThatPassedThenFailedIsFlaky(t *testing.T) {
	sr := types.SpecReport{LeafNodeType: types.NodeTypeIt, LeafNodeText: "deploys", State: types.SpecStateFailed,
		NumAttempts: 3, MaxMustPassRepeatedly: 3, Failure: types.Failure{Message: "timed out"}}
	if s := classify(sr); s.Status != Flaky || len(s.Failures) != 1 || s.Failures[0].Attempt != 3 {
		t.Errorf("failed on attempt 3 of 3: %s %+v", s.Status, s.Failures)
	}
	sr.NumAttempts = 1
	if s := classify(sr); s.Status != Failed {
		t.Errorf("failed on its first attempt: %s", s.Status)
	}
}

func TestABeforeSuiteFailureIsAFailedSpec(t *testing.T) {
	sr := types.SpecReport{LeafNodeType: types.NodeTypeSynchronizedBeforeSuite, State: types.SpecStateFailed,
		Failure: types.Failure{Message: "cluster did not start"}}
	specs := Classify([]types.Report{{SpecReports: types.SpecReports{sr}}})
	if len(specs) != 1 || specs[0].Status != Failed || !strings.Contains(specs[0].Name, "SynchronizedBeforeSuite") {
		t.Errorf("%+v", specs)
	}
}

// A spec the label filter left out is reported by Ginkgo as skipped but
// never attempted: it is not part of the run. One skipped by Skip() is.
func TestASpecTheFilterLeftOutIsNotInTheRun(t *testing.T) {
	out := types.SpecReport{LeafNodeType: types.NodeTypeIt, LeafNodeText: "not selected", State: types.SpecStateSkipped}
	skipped := types.SpecReport{LeafNodeType: types.NodeTypeIt, LeafNodeText: "skips", State: types.SpecStateSkipped, NumAttempts: 1,
		Failure: types.Failure{Message: "needs PX4_SITL_DIR"}}
	specs := Classify([]types.Report{{SpecReports: types.SpecReports{out, skipped}}})
	if len(specs) != 1 || specs[0].Name != "skips" || specs[0].SkipReason != "needs PX4_SITL_DIR" {
		t.Errorf("%+v", specs)
	}
}

// A spec the run's interruption stopped fails the gate but is no mark
// against the spec in its history.
func TestAnInterruptedSpecFailsTheGateButNotItsRecord(t *testing.T) {
	sr := types.SpecReport{LeafNodeType: types.NodeTypeIt, LeafNodeText: "stopped", State: types.SpecStateInterrupted, NumAttempts: 1,
		Failure: types.Failure{Message: "Interrupted by User"}}
	specs := Classify([]types.Report{{SpecReports: types.SpecReports{sr}}})
	if len(specs) != 1 || specs[0].Status != Interrupted {
		t.Fatalf("%+v", specs)
	}
	q, _ := ParseQuarantine([]byte("2026-09-01 | stopped | even quarantined\n"))
	if v := Judge(specs, q); v.Pass() {
		t.Error("the gate passed a run that was interrupted")
	}
	h := &History{}
	h.Add("r", time.Now(), specs, 5)
	if len(h.Runs[0].Specs) != 0 {
		t.Errorf("recorded: %v", h.Runs[0].Specs)
	}
}
