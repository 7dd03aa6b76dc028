package containers

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/wasmbed/wasmbed/harness/proc"
)

func TestHostPathBindsCoverKubeconfigAndLogs(t *testing.T) {
	dir := t.TempDir()
	kc := filepath.Join(dir, "kc", "gateway.kubeconfig")
	if err := os.MkdirAll(filepath.Dir(kc), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(kc, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	binds := hostPathBinds(proc.Spec{LogDir: dir, Args: []string{"--kubeconfig=" + kc, "--listen=127.0.0.1:1", "--name=/not/there"}})
	want := []string{dir + ":" + dir, filepath.Dir(kc) + ":" + filepath.Dir(kc)}
	for _, w := range want {
		if !slices.Contains(binds, w) {
			t.Errorf("binds %v lack %s", binds, w)
		}
	}
	if len(binds) != len(want) {
		t.Errorf("binds %v: want exactly %v", binds, want)
	}
}
