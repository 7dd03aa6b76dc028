package phasewatch

import (
	"fmt"
	"sync"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"

	"github.com/wasmbed/wasmbed/harness/timeline"
	wasmbedv1 "github.com/wasmbed/wasmbed/sut/api/v1alpha1"
)

// deviceTracker remembers each Device's phase and the state of each app
// on it, and records what changed.
type deviceTracker struct {
	j    *timeline.Journal
	mu   sync.Mutex
	seen map[string]deviceState
}

type deviceState struct {
	phase wasmbedv1.DevicePhase
	apps  map[string]wasmbedv1.AppState
}

func newDeviceTracker(j *timeline.Journal) *deviceTracker {
	return &deviceTracker{j: j, seen: map[string]deviceState{}}
}

func (t *deviceTracker) observe(typ watch.EventType, obj runtime.Object) {
	d, ok := obj.(*wasmbedv1.Device)
	if !ok {
		return
	}
	subject := "Device/" + d.Name
	t.mu.Lock()
	defer t.mu.Unlock()
	old, known := t.seen[d.Name]
	if typ == watch.Deleted {
		delete(t.seen, d.Name)
		t.j.Record(timeline.Event{Subject: subject, Kind: "deleted", Text: fmt.Sprintf("Device %s deleted (was %s)", d.Name, orNone(string(old.phase)))})
		return
	}
	now := deviceState{phase: d.Status.Phase, apps: map[string]wasmbedv1.AppState{}}
	if !known {
		t.j.Record(timeline.Event{Subject: subject, Kind: "created", Text: fmt.Sprintf("Device %s exists, phase %s", d.Name, orNone(string(now.phase)))})
	} else if old.phase != now.phase {
		text := fmt.Sprintf("Device %s: %s → %s", d.Name, orNone(string(old.phase)), orNone(string(now.phase)))
		if d.Status.Gateway != "" {
			text += " (gateway " + d.Status.Gateway + ")"
		}
		t.j.Record(timeline.Event{Subject: subject, Kind: "phase", Text: text, Level: devicePhaseLevel(now.phase)})
	}
	for _, a := range d.Status.Apps {
		now.apps[a.Name] = a.State
		if was := old.apps[a.Name]; was != a.State {
			text := fmt.Sprintf("app %s on %s: %s → %s", a.Name, d.Name, orNone(string(was)), a.State)
			if a.Reason != "" {
				text += " (" + a.Reason + ")"
			}
			if a.LastError != "" {
				text += ": " + a.LastError
			}
			t.j.Record(timeline.Event{Subject: subject + "/" + a.Name, Kind: "app state", Text: text, Level: appStateLevel(a.State)})
		}
	}
	t.seen[d.Name] = now
}

func devicePhaseLevel(p wasmbedv1.DevicePhase) string {
	switch p {
	case wasmbedv1.DeviceDisconnected, wasmbedv1.DeviceUnreachable:
		return timeline.Warn
	}
	return timeline.Info
}

func appStateLevel(s wasmbedv1.AppState) string {
	switch s {
	case wasmbedv1.AppFailed:
		return timeline.Error
	case wasmbedv1.AppBackoff:
		return timeline.Warn
	}
	return timeline.Info
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}
