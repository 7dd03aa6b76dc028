package containers

import "github.com/wasmbed/wasmbed/harness/containers/ownership"

// Labels on everything this package creates (see harness/containers/ownership).
const (
	LabelHarness = ownership.LabelHarness
	LabelOwner   = ownership.LabelOwner
	LabelRun     = ownership.LabelRun
	LabelRole    = ownership.LabelRole
)

// selfOwner is this process's owner token (see proc.OwnerToken).
var selfOwner = ownership.Owner()

// labels returns the labels of a new object of the given role.
func labels(runID, role string) map[string]string { return ownership.Labels(runID, role) }

// Swept counts what a sweep removed.
type Swept = ownership.Swept

// SweepOptions choose what Sweep removes.
type SweepOptions = ownership.SweepOptions

// Sweep removes the containers, then the networks, that carry the harness
// label and belong to a dead owner (or to opts.Owner); see ownership.Sweep.
var Sweep = ownership.Sweep
