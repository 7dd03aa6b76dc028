package nightly

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/wasmbed/wasmbed/harness/proc"
	"github.com/wasmbed/wasmbed/harness/runreport"
)

// Stage is one step of the run.
type Stage struct {
	Name string
	What string
	// Budget bounds the stage; Min is the least worth starting with.
	Budget, Min time.Duration
	// Run does the stage and says how it went. It must respect ctx,
	// whose deadline is the stage's budget.
	Run func(ctx context.Context, r *Runner, st *runreport.Stage) error
}

// Runner runs stages in a run folder.
type Runner struct {
	// Dir is the run folder, RunID its name.
	Dir, RunID string
	// Root is the repository.
	Root string
	// Deadline ends the whole run.
	Deadline time.Time
	// Out receives progress and every stage's output.
	Out io.Writer
	// Env is added to every command's environment.
	Env []string

	record runreport.Stages
}

// Run runs the stages in order, recording each; it returns the record.
// A stage's error is recorded as the stage's error and the run goes on.
func (r *Runner) Run(ctx context.Context, stages []Stage) runreport.Stages {
	r.record = runreport.Stages{Run: r.RunID, Start: time.Now()}
	for _, s := range stages {
		st := runreport.Stage{Name: s.Name, What: s.What, Start: time.Now()}
		left := time.Until(r.Deadline)
		switch {
		case ctx.Err() != nil:
			st.Status, st.Reason = runreport.StageSkipped, "the run was interrupted before this stage"
		case left < s.Min:
			st.Status, st.Reason = runreport.StageSkipped, fmt.Sprintf("out of time: %s left of the run's budget, the stage needs at least %s", left.Round(time.Second), s.Min)
		default:
			budget := min(s.Budget, left)
			fmt.Fprintf(r.Out, "\n==== nightly: %s (budget %s) — %s\n", s.Name, budget.Round(time.Second), s.What)
			sctx, cancel := context.WithTimeout(ctx, budget)
			err := s.Run(sctx, r, &st)
			cancel()
			if err != nil {
				st.Status, st.Reason = runreport.StageError, err.Error()
				if errors.Is(sctx.Err(), context.DeadlineExceeded) {
					st.Reason = fmt.Sprintf("stopped at its budget of %s: %v", budget.Round(time.Second), err)
				}
			}
		}
		st.Duration = time.Since(st.Start)
		fmt.Fprintf(r.Out, "==== nightly: %s %s in %s %s\n", s.Name, st.Status, st.Duration.Round(time.Second), st.Reason)
		r.record.Stages = append(r.record.Stages, st)
		r.record.End = time.Now()
		if err := r.record.Write(r.Dir); err != nil {
			fmt.Fprintf(r.Out, "nightly: cannot record the stage: %v\n", err)
		}
	}
	return r.record
}

// Command is a command a stage runs.
type Command struct {
	// Name names its log: <run folder>/<Name>.log.
	Name string
	Path string
	Args []string
	Env  []string
	// Dir is the working directory (the repository if empty).
	Dir string
	// Grace is how long it gets to stop after ctx ends (SIGTERM first:
	// Ginkgo then still runs its cleanup and writes its reports).
	Grace time.Duration
}

// Exec runs c to completion as its own process group, owned by this
// process (harness/proc), its output in its log and in r.Out. It returns
// the log's path relative to the run folder, and the process's error
// (an *exec.ExitError-like error for a non-zero exit).
func (r *Runner) Exec(ctx context.Context, c Command) (string, error) {
	dir := c.Dir
	if dir == "" {
		dir = r.Root
	}
	fmt.Fprintf(r.Out, "$ %s %s\n", filepath.Base(c.Path), strings.Join(c.Args, " "))
	p, err := proc.Start(proc.Spec{Name: c.Name, Path: c.Path, Args: c.Args, Dir: dir, LogDir: r.Dir,
		Env: append(append([]string{}, r.Env...), c.Env...), Stdout: r.Out})
	if err != nil {
		return "", err
	}
	logRel := c.Name + ".log"
	if err := p.Wait(ctx); err != nil && ctx.Err() != nil {
		grace := c.Grace
		if grace == 0 {
			grace = 30 * time.Second
		}
		_ = p.Stop(grace)
		return logRel, fmt.Errorf("%s: %w", c.Name, ctx.Err())
	}
	return logRel, p.Err()
}

// lookPath finds a command, in the repository's bin/ first.
func (r *Runner) lookPath(name string) string {
	if p := filepath.Join(r.Root, "bin", name); fileExists(p) {
		return p
	}
	return name
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
