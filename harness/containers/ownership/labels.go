package ownership

import (
	"os"

	"github.com/wasmbed/wasmbed/harness/proc"
)

// Labels on everything the harness creates in Docker.
const (
	// LabelHarness marks a container or network as the harness's.
	LabelHarness = "wasmbed.io/harness"
	// LabelOwner names the creating process: "<pid>.<start time>", so a
	// sweep can tell a dead owner from a live one across PID reuse.
	LabelOwner = "wasmbed.io/owner"
	// LabelRun is the run ID, for people reading `docker ps`.
	LabelRun = "wasmbed.io/run"
	// LabelRole is gateway, controller, device, network, kind-node, ...
	LabelRole = "wasmbed.io/role"
)

// selfOwner is this process's owner token (see proc.OwnerToken).
var selfOwner = proc.OwnerToken(os.Getpid())

// Owner is this process's owner token, as LabelOwner carries it.
func Owner() string { return selfOwner }

// Labels returns the labels of a new object of the given role, owned by
// this process.
func Labels(runID, role string) map[string]string {
	return map[string]string{
		LabelHarness: "true",
		LabelOwner:   selfOwner,
		LabelRun:     runID,
		LabelRole:    role,
	}
}
