package kindnode

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/wasmbed/wasmbed/harness/workspace"
)

// The node image must run the Kubernetes the local provider runs.
func TestBuildModuleIsInStepWithTheLocalProvider(t *testing.T) {
	root := workspace.MustRoot()
	read := func(dir string) Versions {
		b, err := os.ReadFile(filepath.Join(root, dir, "go.mod"))
		if err != nil {
			t.Fatal(err)
		}
		v, err := ModuleVersions(b)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	node, local := read(BuildModuleDir), read("harness/cluster/local/kubebuild")
	if node != local {
		t.Fatalf("%s pins %+v but the local provider pins %+v: update its go.mod", BuildModuleDir, node, local)
	}
}
