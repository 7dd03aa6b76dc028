package runreport

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/wasmbed/wasmbed/harness/benchtrend"
)

// BenchSection is the benchmark figures of a run against the earlier
// runs and the targets.
type BenchSection struct {
	// File is this run's results, relative to the run folder.
	File string
	Rows []benchtrend.Row
	// Baseline names the earlier runs compared with, oldest first.
	Baseline []string
	// Noise is the default threshold.
	Noise float64
	// Targets is the targets file read.
	Targets string
}

// Regressions are the rows flagged.
func (b *BenchSection) Regressions() []benchtrend.Row {
	var out []benchtrend.Row
	for _, r := range b.Rows {
		if r.Regressed {
			out = append(out, r)
		}
	}
	return out
}

// buildBench compares benchDir/<run>.txt with the runs before it. No
// results for this run is not an error: the run ran no benchmarks.
func buildBench(benchDir, runID, targetsFile string, baselineRuns int) (*BenchSection, error) {
	path := filepath.Join(benchDir, runID+".txt")
	cur, err := benchtrend.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil && len(cur) == 0 {
		return nil, err
	}
	var errs []error
	if err != nil {
		errs = append(errs, err)
	}
	tg, err := benchtrend.LoadTargets(targetsFile)
	if err != nil {
		return nil, err
	}
	if baselineRuns == 0 {
		baselineRuns = benchtrend.DefaultBaselineRuns
	}
	prev, bad, err := benchtrend.Previous(benchDir, runID, baselineRuns)
	if err != nil {
		errs = append(errs, err)
	}
	for _, b := range bad {
		errs = append(errs, errors.New(b))
	}
	b := &BenchSection{File: "../bench/" + runID + ".txt", Rows: benchtrend.Compare(cur, prev, tg), Noise: tg.Noise, Targets: targetsFile}
	for _, p := range prev {
		b.Baseline = append(b.Baseline, p.ID)
	}
	return b, errors.Join(errs...)
}

// benchGroup is one benchmark's rows, for the page.
type benchGroup struct {
	Benchmark string
	Rows      []benchtrend.Row
	Regressed bool
}

func (b *BenchSection) groups() []benchGroup {
	var out []benchGroup
	rows := slices.Clone(b.Rows)
	// Each benchmark's judged figures first: the others are shown on
	// demand.
	slices.SortStableFunc(rows, func(x, y benchtrend.Row) int {
		if x.Benchmark != y.Benchmark {
			return strings.Compare(x.Benchmark, y.Benchmark)
		}
		if x.HasTarget != y.HasTarget {
			if x.HasTarget {
				return -1
			}
			return 1
		}
		return 0
	})
	for _, r := range rows {
		if len(out) == 0 || out[len(out)-1].Benchmark != r.Benchmark {
			out = append(out, benchGroup{Benchmark: r.Benchmark})
		}
		g := &out[len(out)-1]
		g.Rows = append(g.Rows, r)
		g.Regressed = g.Regressed || r.Regressed
	}
	return out
}

// shortBaseline lists the baseline runs for a sentence.
func (b *BenchSection) shortBaseline() string {
	if len(b.Baseline) == 0 {
		return "no earlier run"
	}
	return strings.Join(b.Baseline, ", ")
}
