package runreport

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wasmbed/wasmbed/harness/flakes"
)

// redRun makes a run folder the way a nightly's scenario stage does: it
// runs testdata/redsuite, a real Ginkgo suite that goes red on purpose,
// with --flake-attempts=2, so one spec fails every attempt and one fails
// once, each keeping an artifact folder with every kind of source. It
// returns the run folder, under <tmp>/reports/.
func redRun(t *testing.T) string {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is needed to run the red suite: %v", err)
	}
	reports := filepath.Join(t.TempDir(), "reports")
	dir := filepath.Join(reports, "20260901-020000")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(goBin, "test", "-count=1", "./testdata/redsuite",
		"-ginkgo.flake-attempts=2", "-ginkgo.json-report="+filepath.Join(dir, "report.json"))
	cmd.Env = append(os.Environ(), "RUN_DIR="+dir)
	if out, err := cmd.CombinedOutput(); err == nil {
		t.Fatalf("the red suite passed:\n%s", out)
	}
	// Benchmark figures: an earlier run and this one, which regressed.
	bench := filepath.Join(reports, "bench")
	if err := os.MkdirAll(bench, 0o755); err != nil {
		t.Fatal(err)
	}
	for from, to := range map[string]string{"before.txt": "20260831-020000.txt", "after.txt": "20260901-020000.txt"} {
		b, err := os.ReadFile(filepath.Join("..", "benchtrend", "testdata", from))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(bench, to), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	old := filepath.Join(bench, "20260831-020000.txt")
	if err := os.Chtimes(old, time.Now().AddDate(0, 0, -1), time.Now().AddDate(0, 0, -1)); err != nil {
		t.Fatal(err)
	}
	return dir
}

func options(dir string) Options {
	reports := filepath.Dir(dir)
	return Options{
		Quarantine:    filepath.Join("..", "..", flakes.QuarantineFile),
		Targets:       filepath.Join("..", "benchtrend", "testdata", "targets.txt"),
		History:       filepath.Join(reports, flakes.HistoryFile),
		UpdateHistory: true,
		BenchDir:      filepath.Join(reports, "bench"),
	}
}

func TestTheReportOfARedRun(t *testing.T) {
	dir := redRun(t)
	r, err := Write(dir, options(dir), nil)
	if err != nil {
		t.Fatal(err)
	}
	if r.Pass || r.Failed != 1 || r.Flaky != 1 || r.Passed != 2 || r.Skipped != 1 {
		t.Errorf("pass=%v failed=%d flaky=%d passed=%d skipped=%d", r.Pass, r.Failed, r.Flaky, r.Passed, r.Skipped)
	}
	if len(r.Timelines) != 2 {
		t.Fatalf("%d timelines, want one per failed or flaky spec", len(r.Timelines))
	}
	tl := r.Timelines[0]
	if tl.Status != flakes.Failed || !strings.Contains(tl.Name, "cut") {
		t.Fatalf("first timeline: %s %s", tl.Status, tl.Name)
	}
	// Every source is on the axis, in order, linked to its file.
	if got := strings.Join(tl.Lanes, ","); got != "steps,failure,faults,phases,SUT logs,devices,MAVLink" {
		t.Errorf("lanes %s", got)
	}
	want := map[string]string{
		"given a connected device flying a vehicle": "report.json",
		"link d1: cut": "faults.timeline.jsonl",
		"link cut":     "d1/dataline.log",
		"plan @0s: inject fault 0 link.blackhole d1":              "chaos-events.jsonl",
		"Device d1: Connected → Disconnected (gateway gateway-0)": "phases.timeline.jsonl",
		"heartbeat timeout device=d1 after=2s":                    "gateway-0.log",
		"connection lost err=EOF retry=250ms":                     "device-d1.log",
		"gateway unreachable attempts=3":                          "d1/console.log",
		"vehicle 1 link lost: no HEARTBEAT for 3s":                "mavlink.timeline.jsonl",
		"attempt 2 failed: Device d1 was not Unreachable within 2.5s Expected <string>: Disconnected to equal <string>: Unreachable": "report.json",
		"attempt 2 starts: the same seed, a fresh namespace":                                                                         "report.json",
	}
	for _, e := range tl.Events {
		if file, ok := want[e.Text]; ok && e.File == file {
			delete(want, e.Text)
			if _, err := os.Stat(filepath.Join(dir, e.Href)); err != nil {
				t.Errorf("%q links to %s: %v", e.Text, e.Href, err)
			}
		}
		if e.Text == "serving addr=127.0.0.1:4433" {
			t.Error("an INFO log line is on the timeline")
		}
	}
	for text, file := range want {
		t.Errorf("missing from the timeline: %q from %s", text, file)
	}
	for i := 1; i < len(tl.Events); i++ {
		if tl.Events[i].Time.Before(tl.Events[i-1].Time) {
			t.Fatalf("events out of order at %d", i)
		}
	}
	if flaky := r.Timelines[1]; flaky.Status != flakes.Flaky || len(flaky.Failures) != 1 || len(flaky.Artifacts) != 1 {
		t.Errorf("the flaky spec: %s, %d failures, %d artifacts", flaky.Status, len(flaky.Failures), len(flaky.Artifacts))
	}
	// The benchmarks: the deploy p99 doubled.
	if r.Bench == nil || len(r.Bench.Regressions()) == 0 {
		t.Error("no benchmark regression in the report")
	}
	// The history holds this run, and the flaky spec's rate says so.
	h, err := flakes.LoadHistory(options(dir).History)
	if err != nil || len(h.Runs) != 1 {
		t.Fatalf("history: %v %v", h, err)
	}
	for _, s := range r.Specs {
		if s.Status == flakes.Flaky && (s.Rate.Runs != 1 || s.Rate.Flaky != 1) {
			t.Errorf("flaky spec's rate %+v", s.Rate)
		}
	}

	page, err := os.ReadFile(filepath.Join(dir, IndexFile))
	if err != nil {
		t.Fatal(err)
	}
	// Self-contained: nothing to fetch.
	for _, ext := range []string{`src="http`, `href="http`, `url(http`, `@import`, `<link `, `src="//`} {
		if strings.Contains(string(page), ext) {
			t.Errorf("the page fetches something: %q", ext)
		}
	}
	if b, err := os.ReadFile(filepath.Join(dir, "summary.txt")); err != nil || !strings.Contains(string(b), "FLAKY Disconnect reconnects after a gateway restart") {
		t.Errorf("summary.txt: %v\n%s", err, b)
	}
}
