package nightly

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wasmbed/wasmbed/harness/runreport"
)

// A module with a fuzz target that breaks on one input and one that
// never does, fuzzed as the nightly fuzzes the real ones: the first
// fails the stage with its reproducer copied into the run folder; a
// target that cannot run at all is an infrastructure error, not a
// failure.
func TestFuzzFailsOnlyOnAReproducer(t *testing.T) {
	if testing.Short() {
		t.Skip("fuzzes for real")
	}
	root := t.TempDir()
	write := func(path, body string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(filepath.Join(root, path)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(root, path), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("go.mod", "module fuzzme\n\ngo 1.24\n")
	write("parse/parse.go", "package parse\n\n// Parse breaks on a leading 'x'.\nfunc Parse(b []byte) int {\n\tif len(b) > 0 && b[0] == 'x' {\n\t\tpanic(\"x\")\n\t}\n\treturn len(b)\n}\n")
	write("parse/parse_test.go", `package parse

import "testing"

func FuzzBroken(f *testing.F) {
	f.Add([]byte("a"))
	f.Fuzz(func(t *testing.T, b []byte) { Parse(b) })
}

func FuzzSound(f *testing.F) {
	f.Add([]byte("a"))
	f.Fuzz(func(t *testing.T, b []byte) { _ = len(b) })
}
`)
	run := func(targets string) runreport.Stage {
		t.Helper()
		dir := t.TempDir()
		ts, err := ParseFuzzTargets(targets)
		if err != nil {
			t.Fatal(err)
		}
		r := &Runner{Dir: dir, RunID: "r", Root: root, Deadline: time.Now().Add(10 * time.Minute), Out: io.Discard,
			Env: []string{"GOFLAGS=-mod=mod", "GOWORK=off"}}
		rec := r.Run(context.Background(), []Stage{Fuzz(FuzzOptions{Targets: ts, Time: 3 * time.Second, Toolchain: "local"})})
		st := rec.Stages[0]
		for _, a := range st.Artifacts {
			if _, err := os.Stat(filepath.Join(dir, a)); err != nil {
				t.Errorf("artifact %s: %v", a, err)
			}
		}
		return st
	}

	st := run("./parse:FuzzSound ./parse:FuzzBroken")
	if st.Status != runreport.StageFailed || !strings.Contains(st.Reason, "FuzzBroken found a failing input") || strings.Contains(st.Reason, "FuzzSound") {
		t.Errorf("a target that breaks: %s: %s", st.Status, st.Reason)
	}
	repro := false
	for _, a := range st.Artifacts {
		repro = repro || strings.HasPrefix(a, "fuzz/FuzzBroken/")
	}
	if !repro {
		t.Errorf("no reproducer among the artifacts: %v", st.Artifacts)
	}

	st = run("./parse:FuzzMissing")
	if st.Status != runreport.StageError || !strings.Contains(st.Reason, "infrastructure") || !strings.Contains(st.Reason, "no reproducer") {
		t.Errorf("a target that cannot run: %s: %s", st.Status, st.Reason)
	}
}
