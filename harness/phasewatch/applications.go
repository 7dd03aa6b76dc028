package phasewatch

import (
	"fmt"

	"k8s.io/apimachinery/pkg/runtime"

	"github.com/wasmbed/wasmbed/harness/timeline"
	wasmbedv1 "github.com/wasmbed/wasmbed/sut/api/v1alpha1"
)

// appState is what is tracked of an Application: its phase, and its
// counts for the text.
type appState struct {
	phase  wasmbedv1.ApplicationPhase
	counts wasmbedv1.ApplicationCounts
}

func newAppTracker(j *timeline.Journal) *tracker[appState] {
	return &tracker[appState]{j: j, kind: "Application", read: readApp, changes: appChanges,
		describe: func(s appState) string { return orNone(string(s.phase)) }}
}

func readApp(obj runtime.Object) (string, appState, bool) {
	a, ok := obj.(*wasmbedv1.Application)
	if !ok {
		return "", appState{}, false
	}
	return a.Name, appState{phase: a.Status.Phase, counts: a.Status.Counts}, true
}

func appChanges(name string, old, cur appState) []timeline.Event {
	if old.phase == cur.phase {
		return nil
	}
	c := cur.counts
	return []timeline.Event{{Kind: "phase", Level: appPhaseLevel(cur.phase),
		Text: fmt.Sprintf("Application %s: %s → %s (%d targeted, %d running, %d pending, %d failed)",
			name, orNone(string(old.phase)), orNone(string(cur.phase)), c.Targeted, c.Running, c.Pending, c.Failed)}}
}

func appPhaseLevel(p wasmbedv1.ApplicationPhase) string {
	switch p {
	case wasmbedv1.AppPhaseFailed:
		return timeline.Error
	case wasmbedv1.AppPhasePartiallyRunning:
		return timeline.Warn
	}
	return timeline.Info
}
