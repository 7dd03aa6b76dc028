package nightly

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/wasmbed/wasmbed/harness/runreport"
)

// FuzzTarget is one fuzz target: its package and function.
type FuzzTarget struct{ Package, Name string }

// ParseFuzzTargets reads the Makefile's FUZZ_TARGETS, one
// <package>:<Func>[:<executions>] a word; the execution count is make
// test's and ignored here.
func ParseFuzzTargets(s string) ([]FuzzTarget, error) {
	var out []FuzzTarget
	for _, w := range strings.Fields(s) {
		parts := strings.Split(w, ":")
		if len(parts) < 2 || parts[0] == "" || !strings.HasPrefix(parts[1], "Fuzz") {
			return nil, fmt.Errorf("fuzz target %q: want <package>:Fuzz<Name>[:<executions>]", w)
		}
		out = append(out, FuzzTarget{parts[0], parts[1]})
	}
	return out, nil
}

// buildAllowance is the time a fuzz target may take beyond its budget to
// build: the first nightly with a toolchain builds sut/pki's 470 packages
// with coverage instrumentation from a cold cache, which took over two
// minutes on the loaded 2-core machine.
const buildAllowance = 8 * time.Minute

// FuzzOptions shape the fuzz stage.
type FuzzOptions struct {
	Targets []FuzzTarget
	// Time is each target's budget; Toolchain the GOTOOLCHAIN to fuzz
	// with (Go 1.27 fixed the coordinator's deadline race,
	// golang/go#75804).
	Time      time.Duration
	Toolchain string
}

// Fuzz fuzzes each target for its budget. A target fails only when Go
// wrote a reproducer (a new file under the package's testdata/fuzz/<Func>/),
// which is copied into the run folder and linked; a non-zero exit
// without one (a toolchain that would not download, a crashed
// coordinator) is the machinery's fault, reported as an error, not a
// failure of the code.
func Fuzz(o FuzzOptions) Stage {
	budget := time.Duration(len(o.Targets))*(o.Time+time.Minute) + buildAllowance
	return Stage{Name: "fuzz", What: fmt.Sprintf("each fuzz target for %s with %s", o.Time, o.Toolchain), Budget: budget, Min: o.Time + time.Minute,
		Run: func(ctx context.Context, r *Runner, st *runreport.Stage) error {
			var failed, errored []string
			for _, t := range o.Targets {
				found, log, err := r.fuzzOne(ctx, t, o)
				st.Artifacts = append(st.Artifacts, log)
				switch {
				case len(found) > 0:
					failed = append(failed, fmt.Sprintf("%s found a failing input (reproducer: %s)", t.Name, strings.Join(found, ", ")))
					st.Artifacts = append(st.Artifacts, found...)
				case err != nil:
					errored = append(errored, fmt.Sprintf("%s: %v, and no reproducer was written", t.Name, err))
				}
				if ctx.Err() != nil {
					errored = append(errored, "out of time before the remaining targets")
					break
				}
			}
			switch {
			case len(failed) > 0:
				st.Status, st.Reason = runreport.StageFailed, strings.Join(append(failed, errored...), "; ")
			case len(errored) > 0:
				st.Status, st.Reason = runreport.StageError, "infrastructure: "+strings.Join(errored, "; ")
			default:
				st.Status, st.Reason = runreport.StagePassed, fmt.Sprintf("%d target(s), no failing input", len(o.Targets))
			}
			return nil
		}}
}

// fuzzOne runs one target and returns the reproducers it wrote (copied
// into the run folder, relative to it) and its log.
func (r *Runner) fuzzOne(ctx context.Context, t FuzzTarget, o FuzzOptions) ([]string, string, error) {
	corpus := filepath.Join(r.Root, filepath.FromSlash(t.Package), "testdata", "fuzz", t.Name)
	before := listDir(corpus)
	// The fuzzing itself stops at -fuzztime; before it, go test builds
	// the package and its dependencies with coverage instrumentation,
	// with a toolchain whose build cache may be cold.
	tctx, cancel := context.WithTimeout(ctx, o.Time+buildAllowance)
	defer cancel()
	log, err := r.Exec(tctx, Command{Name: "fuzz-" + t.Name, Path: "go",
		Args: []string{"test", "-run=^$", "-fuzz=^" + t.Name + "$", "-fuzztime=" + o.Time.String(), t.Package},
		Env:  []string{"GOTOOLCHAIN=" + o.Toolchain}})
	if err == nil {
		// go test -fuzz with a pattern that matches nothing warns and
		// passes: a typo in FUZZ_TARGETS must not pass for fuzzing.
		if b, rerr := os.ReadFile(filepath.Join(r.Dir, log)); rerr == nil && strings.Contains(string(b), "no fuzz tests to fuzz") {
			err = fmt.Errorf("%s has no fuzz test %s", t.Package, t.Name)
		}
	}
	var found []string
	for _, f := range listDir(corpus) {
		if slices.Contains(before, f) {
			continue
		}
		dst := filepath.Join(r.Dir, "fuzz", t.Name, f)
		if cerr := copyFile(filepath.Join(corpus, f), dst); cerr != nil {
			err = errors.Join(err, cerr)
			continue
		}
		rel, _ := filepath.Rel(r.Dir, dst)
		found = append(found, filepath.ToSlash(rel))
	}
	return found, log, err
}

func listDir(dir string) []string {
	es, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	var out []string
	for _, e := range es {
		if !e.IsDir() {
			out = append(out, e.Name())
		}
	}
	return out
}

func copyFile(src, dst string) error {
	b, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	return os.WriteFile(dst, b, 0o644)
}
