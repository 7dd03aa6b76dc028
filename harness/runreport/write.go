package runreport

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/wasmbed/wasmbed/harness/summary"
)

// IndexFile is the page, in the run folder.
const IndexFile = "index.html"

// Write builds the run's report and writes index.html and summary.txt in
// its folder; the summary also goes to out.
func Write(dir string, o Options, out io.Writer) (*Run, error) {
	r, err := Build(dir, o)
	if err != nil {
		return nil, err
	}
	var page bytes.Buffer
	if err := WriteHTML(&page, r); err != nil {
		return r, fmt.Errorf("render %s: %w", IndexFile, err)
	}
	if err := os.WriteFile(filepath.Join(r.Dir, IndexFile), page.Bytes(), 0o644); err != nil {
		return r, err
	}
	var text bytes.Buffer
	WriteSummary(&text, r)
	if out != nil {
		_, _ = out.Write(text.Bytes())
	}
	return r, os.WriteFile(filepath.Join(r.Dir, "summary.txt"), text.Bytes(), 0o644)
}

// WriteSummary writes the terminal's summary: Ginkgo's tally, then what
// the gate made of it, the stages, and where the page is.
func WriteSummary(w io.Writer, r *Run) {
	if len(r.ginkgo) > 0 {
		summary.Write(w, r.ginkgo)
	}
	for _, s := range r.Verdict.Flaky {
		fmt.Fprintf(w, "  FLAKY %s\n       failed on attempt %d, then passed: %s\n", s.Name, s.Failures[0].Attempt, headline(s.Failures[0].Message))
	}
	for _, s := range r.Verdict.Quarantined {
		fmt.Fprintf(w, "  QUARANTINED %s: %s\n", s.Name, s.Status)
	}
	if r.Nightly {
		fmt.Fprintf(w, "  stages:\n")
		for _, st := range r.Stages {
			fmt.Fprintf(w, "    %-8s %-18s %8s  %s\n", st.Status, st.Name, durLabel(st.Duration.Round(time.Second)), st.Reason)
		}
	}
	if r.Bench != nil {
		for _, row := range r.Bench.Regressions() {
			fmt.Fprintf(w, "  REGRESSED %s %s: %s → %s (%s, noise %.0f%%)\n", row.Benchmark, row.Unit, numLabel(row.BaseCenter), numLabel(row.Center), changeLabel(row), 100*row.Noise)
		}
	}
	for _, n := range r.Notes {
		fmt.Fprintf(w, "  note: %s\n", n)
	}
	verdict := "PASS"
	if !r.Pass {
		verdict = "FAIL"
	}
	fmt.Fprintf(w, "  gate: %s\n", verdict)
	for _, rep := range r.Reports {
		fmt.Fprintf(w, "  reports: %s\n", filepath.Join(r.Dir, rep))
	}
	fmt.Fprintf(w, "  report: %s\n", filepath.Join(r.Dir, IndexFile))
	if r.Nightly && r.WallTime() > 0 {
		fmt.Fprintf(w, "  wall time: %s\n", r.WallTime().Round(time.Second))
	}
}
