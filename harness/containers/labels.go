package containers

import (
	"os"

	"github.com/wasmbed/wasmbed/harness/proc"
)

// Labels on everything this package creates.
const (
	// LabelHarness marks a container or network as the harness's.
	LabelHarness = "wasmbed.io/harness"
	// LabelOwner names the creating process: "<pid>.<start time>", so a
	// sweep can tell a dead owner from a live one across PID reuse.
	LabelOwner = "wasmbed.io/owner"
	// LabelRun is the run ID, for people reading `docker ps`.
	LabelRun = "wasmbed.io/run"
	// LabelRole is gateway, controller, device or network.
	LabelRole = "wasmbed.io/role"
)

// selfOwner is this process's owner token (see proc.OwnerToken).
var selfOwner = proc.OwnerToken(os.Getpid())

// labels returns the labels of a new object of the given role.
func labels(runID, role string) map[string]string {
	return map[string]string{
		LabelHarness: "true",
		LabelOwner:   selfOwner,
		LabelRun:     runID,
		LabelRole:    role,
	}
}
