package shrink

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/wasmbed/wasmbed/harness/chaos/plan"
)

// ReproFile is the name of the shrunk plan in a run's report folder.
const ReproFile = "repro.yaml"

// ReplayCommand is the one command that replays a plan file: the
// harness CLI's `chaos replay`, which runs it against a fresh testbed with
// the plan's seed and checks the same invariants.
func ReplayCommand(path string) string { return "harness chaos replay " + path }

// WriteRepro writes the report's plan to path, in canonical form, under a
// comment that gives the command that replays it and how it was shrunk.
// violated names the invariants the plan breaks, for the reader. The
// comment is ignored by plan.Parse: the file replays as is.
func WriteRepro(path string, r *Report, violated ...string) error {
	body, err := r.Plan.Marshal()
	if err != nil {
		return err
	}
	var b bytes.Buffer
	b.WriteString("# The smallest fault plan found that still breaks an invariant.\n")
	fmt.Fprintf(&b, "# Replay it:\n#   %s\n", ReplayCommand(path))
	if len(violated) > 0 {
		fmt.Fprintf(&b, "# Violates: %s\n", strings.Join(violated, ", "))
	}
	// The summary may quote an error over several lines; each stays a
	// comment.
	fmt.Fprintf(&b, "# %s.\n", strings.ReplaceAll(r.Summary(), "\n", "\n# "))
	if r.Plan.Seed != nil {
		fmt.Fprintf(&b, "# Every run of it uses the plan's seed, %d.\n", *r.Plan.Seed)
	}
	b.Write(body)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, b.Bytes(), 0o644)
}

// ReadRepro reads a repro file back; it is an ordinary plan.
func ReadRepro(path string) (*plan.Plan, error) { return plan.ParseFile(path) }
