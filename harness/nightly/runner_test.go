package nightly

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/wasmbed/wasmbed/harness/runreport"
)

// Every stage lands in the record, whatever the one before it did, and a
// stage that cannot fit in what is left of the budget says so.
func TestEveryStageIsRecordedAndTheBudgetHolds(t *testing.T) {
	dir := t.TempDir()
	r := &Runner{Dir: dir, RunID: "r1", Root: dir, Deadline: time.Now().Add(time.Hour), Out: io.Discard}
	var sawDeadline bool
	stages := []Stage{
		{Name: "broken", Budget: time.Minute, Run: func(ctx context.Context, r *Runner, st *runreport.Stage) error {
			return errors.New("the machinery broke")
		}},
		{Name: "good", Budget: time.Minute, Run: func(ctx context.Context, r *Runner, st *runreport.Stage) error {
			dl, ok := ctx.Deadline()
			sawDeadline = ok && time.Until(dl) <= time.Minute
			st.Status = runreport.StagePassed
			return nil
		}},
		{Name: "greedy", Budget: 3 * time.Hour, Min: 2 * time.Hour, Run: func(ctx context.Context, r *Runner, st *runreport.Stage) error {
			t.Error("a stage that needs 2h ran with 1h left")
			return nil
		}},
	}
	rec := r.Run(context.Background(), stages)
	got := map[string]runreport.Stage{}
	for _, st := range rec.Stages {
		got[st.Name] = st
	}
	if st := got["broken"]; st.Status != runreport.StageError || st.Reason != "the machinery broke" {
		t.Errorf("broken: %+v", st)
	}
	if st := got["good"]; st.Status != runreport.StagePassed || !sawDeadline {
		t.Errorf("good: %+v, deadline within its budget %v", st, sawDeadline)
	}
	if st := got["greedy"]; st.Status != runreport.StageSkipped || !strings.Contains(st.Reason, "out of time") {
		t.Errorf("greedy: %+v", st)
	}
	onDisk, ok, err := runreport.ReadStages(dir)
	if err != nil || !ok || len(onDisk.Stages) != 3 {
		t.Fatalf("stages.json: %v %v %+v", ok, err, onDisk)
	}
}

func TestParseFuzzTargets(t *testing.T) {
	ts, err := ParseFuzzTargets("./sut/protocol:FuzzReadFrame:150000 ./sut/pki:FuzzParseCSR")
	if err != nil || len(ts) != 2 || ts[0] != (FuzzTarget{"./sut/protocol", "FuzzReadFrame"}) || ts[1].Name != "FuzzParseCSR" {
		t.Errorf("%v %v", ts, err)
	}
	for _, bad := range []string{"./x", "./x:ReadFrame", ":FuzzX"} {
		if _, err := ParseFuzzTargets(bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}
