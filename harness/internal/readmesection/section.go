// Package readmesection keeps the generated sections of the repository's
// README.md in step with the code they describe. A section sits between
// the lines <!-- name:start --> and <!-- name:end -->; a test renders what
// belongs there and calls Check, so a README that drifts from the code
// fails `make test` instead of misleading a reader.
package readmesection

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wasmbed/wasmbed/harness/config"
	"github.com/wasmbed/wasmbed/harness/workspace"
)

// UpdateEnv, when true, makes Check rewrite a stale section instead of
// failing (config.Config.UpdateREADME).
const UpdateEnv = "WASMBED_UPDATE_README"

// Check compares README.md's section name with content. A stale section
// fails t, saying how to regenerate it (`WASMBED_UPDATE_README=1 go test
// pkg`), unless UpdateEnv is set, in which case the section is rewritten.
func Check(t testing.TB, name, content, pkg string) {
	t.Helper()
	root, err := workspace.Root()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(root, "README.md")
	readme, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	start, end := "<!-- "+name+":start -->\n", "<!-- "+name+":end -->"
	s := string(readme)
	i, j := strings.Index(s, start), strings.Index(s, end)
	if i < 0 || j < i {
		t.Fatalf("README.md lacks the %s markers, or has them out of order: add the lines %q and %q where the section belongs and run %s=1 go test %s",
			name, strings.TrimSpace(start), end, UpdateEnv, pkg)
	}
	want := s[:i+len(start)] + content + s[j:]
	if want == s {
		return
	}
	if config.FromEnv().UpdateREADME {
		if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Fatalf("README.md's %s is out of date: run %s=1 go test %s", name, UpdateEnv, pkg)
}
