package nightly

import (
	"context"
	"fmt"
	"path/filepath"
	"strconv"
	"time"

	"github.com/onsi/ginkgo/v2/types"

	"github.com/wasmbed/wasmbed/harness/runreport"
	"github.com/wasmbed/wasmbed/harness/summary"
)

// RepeatEnv makes the scenario suite run every spec that many times in a
// row (Ginkgo's MustPassRepeatedly), read by scenarios/suite_test.go.
const RepeatEnv = "WASMBED_REPEAT"

// SpecOptions shape a stage that runs scenarios.
type SpecOptions struct {
	Name, What string
	// LabelFilter selects the specs (Ginkgo's --label-filter).
	LabelFilter string
	// FlakeAttempts re-runs a failed spec (same process, so the same
	// seed; a fresh Env, so a fresh namespace). Repeat runs each spec
	// that many times and stops at its first failure. Ginkgo allows only
	// one of the two per spec.
	FlakeAttempts, Repeat int
	// Env is added to the suite's environment (WASMBED_CLUSTER=kind).
	Env         []string
	Budget, Min time.Duration
}

// Specs is a stage that runs scenarios with Ginkgo. The report judges it
// from Ginkgo's JSON report (<name>.json in the run folder): failed,
// flaky, passed, quarantine honoured.
func Specs(o SpecOptions) Stage {
	return Stage{Name: o.Name, What: o.What, Budget: o.Budget, Min: o.Min, Run: func(ctx context.Context, r *Runner, st *runreport.Stage) error {
		report := o.Name + ".json"
		r.ginkgo(ctx, o, report, st)
		if st.Status == "" {
			st.Status, st.Reports = runreport.StageRan, []string{report}
		}
		return nil
	}}
}

// ginkgo runs the suite; Ginkgo's own timeout ends it a little before the
// stage's budget, so that it interrupts the running spec, cleans up and
// still writes its reports.
func (r *Runner) ginkgo(ctx context.Context, o SpecOptions, report string, st *runreport.Stage) {
	grace := 3 * time.Minute
	timeout := time.Minute
	if dl, ok := ctx.Deadline(); ok {
		timeout = max(time.Until(dl)-grace, time.Until(dl)/2)
	}
	args := []string{"tool", "ginkgo", "run", "--label-filter=" + o.LabelFilter, "--keep-going",
		"--timeout=" + timeout.Round(time.Second).String(),
		"--json-report=" + report, "--junit-report=" + o.Name + ".xml", "--output-dir=" + r.Dir}
	if o.FlakeAttempts > 1 {
		args = append(args, "--flake-attempts="+strconv.Itoa(o.FlakeAttempts))
	}
	args = append(args, "./scenarios")
	env := append([]string{"WASMBED_RUN_ID=" + r.RunID}, o.Env...)
	if o.Repeat > 1 {
		env = append(env, RepeatEnv+"="+strconv.Itoa(o.Repeat))
	}
	log, err := r.Exec(ctx, Command{Name: o.Name, Path: "go", Args: args, Env: env, Grace: grace})
	st.Log = log
	if !fileExists(filepath.Join(r.Dir, report)) {
		// No report: the suite did not build, or was killed before Ginkgo
		// wrote one. Nothing was checked; the gate fails.
		why := "ginkgo exited cleanly"
		if err != nil {
			why = err.Error()
		}
		st.Status, st.Reason = runreport.StageFailed, fmt.Sprintf("no Ginkgo report (%s): the suite did not build or was killed; see the log", why)
	}
	// A non-zero exit with a report is failed specs: the report judges.
}

// specsRan counts the specs a Ginkgo report says ran (not skipped).
func specsRan(path string) (int, error) {
	reports, err := summary.Load(path)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, rep := range reports {
		for _, s := range rep.SpecReports {
			if s.LeafNodeType == types.NodeTypeIt && !s.State.Is(types.SpecStateSkipped|types.SpecStatePending) {
				n++
			}
		}
	}
	return n, nil
}
