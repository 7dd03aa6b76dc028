package aptsources

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wasmbed/wasmbed/harness/workspace"
)

// TestCIScriptAgrees: .ci/debian-mirror, the shell twin .ci/run uses
// before there is any Go, finds the same mirror as Mirrors.URI for every
// suite of a configuration mixing both formats, disabled stanzas, options,
// comments and files apt ignores.
func TestCIScriptAgrees(t *testing.T) {
	root, err := workspace.Root()
	if err != nil {
		t.Fatal(err)
	}
	script := filepath.Join(root, ".ci", "debian-mirror")
	dir := t.TempDir()
	files := map[string]string{
		"sources.list": "# deb http://commented.example/debian bookworm main\n" +
			"deb [arch=amd64 signed-by=/k.gpg] http://one.example/debian/ bookworm main contrib\n" +
			"deb http://vendor.example/apt bookworm stable\n",
		"sources.list.d/a.sources": deb822,
		"sources.list.d/b.list":    "deb [ trusted=yes ] http://two.example/debian trixie main # comment\n",
		"sources.list.d/c.sources": "Types: deb\nURIs: http://off.example/debian\nSuites: sid\nComponents: main\nEnabled: no\n\n" +
			"Types: deb\nURIs: http://on.example/debian\nSuites: sid\nComponents: main\n",
		"sources.list.d/d.sources.disabled": "Types: deb\nURIs: http://ignored.example/debian\nSuites: forky\nComponents: main\n",
	}
	for name, text := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	entries, err := Read(dir)
	if err != nil {
		t.Fatal(err)
	}
	m := &Mirrors{Entries: entries}
	for _, suite := range []string{"bookworm", "bookworm-updates", "bookworm-security", "trixie", "sid", "forky", "stable"} {
		want, goErr := m.URI(suite)
		cmd := exec.Command(script, suite, dir)
		cmd.Env = append(os.Environ(), MirrorEnv+"=")
		out, err := cmd.Output()
		got := strings.TrimSpace(string(out))
		switch {
		case goErr != nil && err == nil:
			t.Errorf("%s: the script found %q, Go found none (%v)", suite, got, goErr)
		case goErr == nil && (err != nil || got != want):
			t.Errorf("%s: the script says %q (%v), Go says %q", suite, got, err, want)
		}
	}
	if want := "http://one.example/debian"; must(m.URI("bookworm")) != want {
		t.Fatalf("sources.list comes first: got %s", must(m.URI("bookworm")))
	}
	cmd := exec.Command(script, "bookworm", dir)
	cmd.Env = append(os.Environ(), MirrorEnv+"=http://override.example/debian/")
	if out, err := cmd.Output(); err != nil || strings.TrimSpace(string(out)) != "http://override.example/debian" {
		t.Fatalf("the override: %q %v", out, err)
	}
}

func must(s string, err error) string {
	if err != nil {
		return "error: " + err.Error()
	}
	return s
}
