// Package phasewatch records, while a spec runs, every phase the SUT gives
// the Devices and Applications in the spec's namespace: a Device going
// Connected, Disconnected, Unreachable; an app on a Device Installing,
// Running, in Backoff; an Application Deploying, Running, Failed. Each
// change is a timeline.Event in the spec's artifact folder
// (phases.timeline.jsonl), so the run report can put it on one axis with
// the spec's steps, the faults and the logs.
//
// It watches through the Kubernetes API, as any client of the SUT would,
// and re-establishes a watch the API server closes. The object dumps a
// failed spec leaves show where things ended; this shows when each
// changed.
package phasewatch
