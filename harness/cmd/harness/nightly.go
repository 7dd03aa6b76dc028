package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/wasmbed/wasmbed/harness/nightly"
	"github.com/wasmbed/wasmbed/harness/runreport"
	"github.com/wasmbed/wasmbed/harness/workspace"
)

func nightlyCommand() *cobra.Command {
	var (
		runID, labels, chaosLabel, fuzzTargets, toolchain, skip string
		budget, fuzzTime, scenariosBudget, benchBudget          time.Duration
		repeat                                                  int
	)
	cmd := &cobra.Command{
		Use:   "nightly",
		Short: "Run every nightly stage (scenarios with flake re-runs, smoke repeated, kind, PX4 SITL, chaos, fuzz, benchmarks, the report in a browser) and write one report",
		Long: "Each stage's outcome is recorded in reports/<run>/stages.json as it ends, and the report\n" +
			"(reports/<run>/index.html) shows them all, also when one fails. Exits non-zero if the gate failed.\n" +
			"`make nightly` runs it with the Makefile's fuzz targets and toolchain.",
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			start := time.Now()
			root, err := workspace.Root()
			if err != nil {
				return err
			}
			if runID == "" {
				runID = start.Format("20060102-150405")
			}
			dir, err := workspace.ReportsDir(runID)
			if err != nil {
				return err
			}
			targets, err := nightly.ParseFuzzTargets(fuzzTargets)
			if err != nil {
				return err
			}
			skipped := strings.Split(skip, ",")
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
			defer stop()

			mainFilter := labels
			if chaosLabel != "" {
				mainFilter = "(" + labels + ") && !(" + chaosLabel + ")"
			}
			stages := []nightly.Stage{
				nightly.Specs(nightly.SpecOptions{Name: "scenarios", LabelFilter: mainFilter, FlakeAttempts: 2, Budget: scenariosBudget, Min: 10 * time.Minute,
					What: "every label (" + mainFilter + "); a failed spec re-runs once with the same seed in a fresh namespace"}),
				nightly.PX4SITL(),
				nightly.Kind(nightly.SpecOptions{FlakeAttempts: 2, Budget: 10 * time.Minute, Min: 3 * time.Minute}),
				nightly.Chaos(nightly.SpecOptions{LabelFilter: chaosLabel, FlakeAttempts: 2, Budget: 15 * time.Minute, Min: 5 * time.Minute}),
				nightly.Specs(nightly.SpecOptions{Name: "smoke-repeat", LabelFilter: "smoke", Repeat: repeat, Budget: 15 * time.Minute, Min: 5 * time.Minute,
					What: fmt.Sprintf("the smoke specs %d times each in a row (MustPassRepeatedly): passed, then failed, is flaky", repeat)}),
				nightly.Make("report-test", "the run report of a deliberately red run, opened in headless Chromium", "report-test", 5*time.Minute),
				nightly.Fuzz(nightly.FuzzOptions{Targets: targets, Time: fuzzTime, Toolchain: toolchain}),
				nightly.Make("bench", "every benchmark, compared with the previous runs and harness/bench/targets.txt", "bench", benchBudget,
					"RUN_ID="+runID, "BENCH_TIMEOUT="+(benchBudget-2*time.Minute).String()),
			}
			stages = slices.DeleteFunc(stages, func(s nightly.Stage) bool { return slices.Contains(skipped, s.Name) })
			r := &nightly.Runner{Dir: dir, RunID: runID, Root: root, Deadline: start.Add(budget), Out: os.Stdout}
			rec := r.Run(ctx, stages)
			for _, name := range skipped {
				if name != "" {
					rec.Stages = append(rec.Stages, runreport.Stage{Name: name, Status: runreport.StageSkipped, Reason: "skipped by --skip", Start: time.Now()})
				}
			}
			rec.End = time.Now()
			if err := rec.Write(dir); err != nil {
				return err
			}

			rep, err := runreport.Write(dir, reportOptions(root, dir), os.Stdout)
			fmt.Printf("\nnightly: wall time %s (budget %s); report %s\n", time.Since(start).Round(time.Second), budget, filepath.Join(dir, runreport.IndexFile))
			if err != nil {
				return err
			}
			if !rep.Pass {
				return errors.New("nightly: the gate failed")
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&runID, "run-id", os.Getenv("WASMBED_RUN_ID"), "the run's folder under reports/ (default: a timestamp)")
	f.DurationVar(&budget, "budget", 90*time.Minute, "the whole run's time budget; a stage that would start with less than it needs is skipped")
	f.StringVar(&labels, "labels", "!kind", "the scenarios stage's label filter (kind and chaos have stages of their own)")
	f.DurationVar(&scenariosBudget, "scenarios-budget", 50*time.Minute, "the scenarios stage's budget")
	f.IntVar(&repeat, "repeat", 3, "how many times in a row each smoke spec must pass")
	f.StringVar(&chaosLabel, "chaos-label", "", "the label of the seeded fault plans' specs; empty until the chaos label exists (the stage says so)")
	f.StringVar(&fuzzTargets, "fuzz-targets", "", "the fuzz targets, as the Makefile's FUZZ_TARGETS: <package>:<Func>[:<n>] ...")
	f.DurationVar(&fuzzTime, "fuzz-time", 2*time.Minute, "each fuzz target's budget")
	f.StringVar(&toolchain, "fuzz-toolchain", "go1.27.3", "GOTOOLCHAIN for fuzzing")
	f.DurationVar(&benchBudget, "bench-budget", 25*time.Minute, "the benchmarks' budget")
	f.StringVar(&skip, "skip", "", "stages to leave out, comma-separated (they are reported as skipped)")
	return cmd
}
