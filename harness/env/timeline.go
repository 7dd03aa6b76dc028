package env

import (
	"context"

	"github.com/wasmbed/wasmbed/harness/phasewatch"
)

// recordPhases records the phase changes of the namespace's Devices and
// Applications in the artifact folder (phases.timeline.jsonl) until the
// Env closes: the run report puts them on the timeline of a failed spec.
func (e *Env) recordPhases() error {
	w, err := phasewatch.Start(e.RESTConfig, e.Namespace, e.ArtifactDir)
	if err != nil {
		return err
	}
	e.Defer("stop recording phases", func(context.Context) error { return w.Stop() })
	return nil
}
