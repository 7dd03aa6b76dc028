package nightly

import (
	"context"
	"fmt"
	"time"

	"github.com/wasmbed/wasmbed/harness/runreport"
)

// Make is a stage that runs a make target of the repository's Makefile,
// the one place its command is written. A non-zero exit fails the stage.
func Make(name, what, target string, budget time.Duration, vars ...string) Stage {
	return Stage{Name: name, What: what, Budget: budget, Min: min(budget, 2*time.Minute),
		Run: func(ctx context.Context, r *Runner, st *runreport.Stage) error {
			log, err := r.Exec(ctx, Command{Name: name, Path: "make", Args: append([]string{"--no-print-directory", target}, vars...)})
			st.Log = log
			if ctx.Err() != nil {
				return err
			}
			if err != nil {
				st.Status, st.Reason = runreport.StageFailed, fmt.Sprintf("make %s: %v; see the log", target, err)
				return nil
			}
			st.Status = runreport.StagePassed
			return nil
		}}
}
