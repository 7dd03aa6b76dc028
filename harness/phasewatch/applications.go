package phasewatch

import (
	"fmt"
	"sync"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"

	"github.com/wasmbed/wasmbed/harness/timeline"
	wasmbedv1 "github.com/wasmbed/wasmbed/sut/api/v1alpha1"
)

// appTracker remembers each Application's phase and records changes.
type appTracker struct {
	j    *timeline.Journal
	mu   sync.Mutex
	seen map[string]wasmbedv1.ApplicationPhase
}

func newAppTracker(j *timeline.Journal) *appTracker {
	return &appTracker{j: j, seen: map[string]wasmbedv1.ApplicationPhase{}}
}

func (t *appTracker) observe(typ watch.EventType, obj runtime.Object) {
	a, ok := obj.(*wasmbedv1.Application)
	if !ok {
		return
	}
	subject := "Application/" + a.Name
	t.mu.Lock()
	defer t.mu.Unlock()
	old, known := t.seen[a.Name]
	switch {
	case typ == watch.Deleted:
		delete(t.seen, a.Name)
		t.j.Record(timeline.Event{Subject: subject, Kind: "deleted", Text: fmt.Sprintf("Application %s deleted (was %s)", a.Name, orNone(string(old)))})
		return
	case !known:
		t.j.Record(timeline.Event{Subject: subject, Kind: "created", Text: fmt.Sprintf("Application %s exists, phase %s", a.Name, orNone(string(a.Status.Phase)))})
	case old != a.Status.Phase:
		c := a.Status.Counts
		t.j.Record(timeline.Event{Subject: subject, Kind: "phase", Level: appPhaseLevel(a.Status.Phase),
			Text: fmt.Sprintf("Application %s: %s → %s (%d targeted, %d running, %d pending, %d failed)",
				a.Name, orNone(string(old)), orNone(string(a.Status.Phase)), c.Targeted, c.Running, c.Pending, c.Failed)})
	}
	t.seen[a.Name] = a.Status.Phase
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
