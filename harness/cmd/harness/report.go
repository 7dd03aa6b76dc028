package main

import (
	"errors"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/wasmbed/wasmbed/harness/benchtrend"
	"github.com/wasmbed/wasmbed/harness/flakes"
	"github.com/wasmbed/wasmbed/harness/runreport"
	"github.com/wasmbed/wasmbed/harness/workspace"
)

func reportCommand() *cobra.Command {
	var rateRuns, baselineRuns int
	cmd := &cobra.Command{
		Use:   "report <run-dir>",
		Short: "Write a run's report: <run-dir>/index.html (the page to open first) and summary.txt; exit non-zero if the gate failed",
		Long: "Reads the run folder (stages.json from `harness nightly`, Ginkgo's JSON reports, failed specs' artifacts),\n" +
			"the quarantine list and benchmark targets of the repository, and reports/history.json (which it updates)\n" +
			"and reports/bench/ next to the run folder.",
		Args: cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			root, err := workspace.Root()
			if err != nil {
				return err
			}
			dir, err := filepath.Abs(args[0])
			if err != nil {
				return err
			}
			o := reportOptions(root, dir)
			o.RateRuns, o.BaselineRuns = rateRuns, baselineRuns
			r, err := runreport.Write(dir, o, os.Stdout)
			if err != nil {
				return err
			}
			if !r.Pass {
				return errors.New("the run failed its gate: see " + filepath.Join(dir, runreport.IndexFile))
			}
			return nil
		},
	}
	cmd.Flags().IntVar(&rateRuns, "rate-runs", 10, "how many runs a flake rate covers")
	cmd.Flags().IntVar(&baselineRuns, "baseline-runs", benchtrend.DefaultBaselineRuns, "how many earlier benchmark runs make the baseline")
	return cmd
}

// reportOptions finds what a run's report reads beside the run folder:
// the repository's quarantine and targets, and reports/history.json and
// reports/bench/ next to the run folder. The report records the run in
// the history.
func reportOptions(root, runDir string) runreport.Options {
	reports := filepath.Dir(runDir)
	return runreport.Options{
		Quarantine:    filepath.Join(root, flakes.QuarantineFile),
		Targets:       filepath.Join(root, benchtrend.TargetsFile),
		History:       filepath.Join(reports, flakes.HistoryFile),
		UpdateHistory: true,
		BenchDir:      filepath.Join(reports, "bench"),
	}
}
