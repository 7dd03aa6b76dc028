package plan

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wasmbed/wasmbed/harness/workspace"
)

// TestREADMEPlansParse: every complete fault plan README.md shows parses,
// so the documentation cannot teach a format the parser refuses.
func TestREADMEPlansParse(t *testing.T) {
	root, err := workspace.Root()
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for i, block := range strings.Split(string(readme), "```yaml\n")[1:] {
		doc, _, _ := strings.Cut(block, "```")
		if !strings.Contains(doc, "kind: FaultPlan") || strings.Contains(doc, "\n...") {
			continue // not a plan, or an elided one
		}
		n++
		if _, err := Parse([]byte(doc)); err != nil {
			t.Errorf("README.md's YAML block %d does not parse: %v\n%s", i+1, err, doc)
		}
	}
	if n == 0 {
		t.Fatal("README.md shows no complete fault plan")
	}
}
