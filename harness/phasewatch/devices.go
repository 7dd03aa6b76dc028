package phasewatch

import (
	"fmt"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/runtime"

	"github.com/wasmbed/wasmbed/harness/timeline"
	wasmbedv1 "github.com/wasmbed/wasmbed/sut/api/v1alpha1"
)

// deviceState is what is tracked of a Device: its phase, the gateway it
// is on, and the state of each app on it.
type deviceState struct {
	phase   wasmbedv1.DevicePhase
	gateway string
	apps    map[string]wasmbedv1.DeviceAppStatus
}

func newDeviceTracker(j *timeline.Journal) *tracker[deviceState] {
	return &tracker[deviceState]{j: j, kind: "Device", read: readDevice, changes: deviceChanges,
		describe: func(s deviceState) string { return orNone(string(s.phase)) }}
}

func readDevice(obj runtime.Object) (string, deviceState, bool) {
	d, ok := obj.(*wasmbedv1.Device)
	if !ok {
		return "", deviceState{}, false
	}
	s := deviceState{phase: d.Status.Phase, gateway: d.Status.Gateway, apps: map[string]wasmbedv1.DeviceAppStatus{}}
	for _, a := range d.Status.Apps {
		s.apps[a.Name] = a
	}
	return d.Name, s, true
}

func deviceChanges(name string, old, cur deviceState) []timeline.Event {
	var out []timeline.Event
	if old.phase != cur.phase {
		text := fmt.Sprintf("Device %s: %s → %s", name, orNone(string(old.phase)), orNone(string(cur.phase)))
		if cur.gateway != "" {
			text += " (gateway " + cur.gateway + ")"
		}
		out = append(out, timeline.Event{Kind: "phase", Text: text, Level: devicePhaseLevel(cur.phase)})
	}
	for _, a := range sortedApps(cur.apps) {
		was := old.apps[a.Name].State
		if was == a.State {
			continue
		}
		text := fmt.Sprintf("app %s on %s: %s → %s", a.Name, name, orNone(string(was)), a.State)
		if a.Reason != "" {
			text += " (" + a.Reason + ")"
		}
		if a.LastError != "" {
			text += ": " + a.LastError
		}
		out = append(out, timeline.Event{Subject: "Device/" + name + "/" + a.Name, Kind: "app state", Text: text, Level: appStateLevel(a.State)})
	}
	for _, a := range sortedApps(old.apps) {
		if _, still := cur.apps[a.Name]; !still {
			out = append(out, timeline.Event{Subject: "Device/" + name + "/" + a.Name, Kind: "app state",
				Text: fmt.Sprintf("app %s on %s: %s → removed", a.Name, name, a.State)})
		}
	}
	return out
}

func sortedApps(m map[string]wasmbedv1.DeviceAppStatus) []wasmbedv1.DeviceAppStatus {
	out := make([]wasmbedv1.DeviceAppStatus, 0, len(m))
	for _, a := range m {
		out = append(out, a)
	}
	slices.SortFunc(out, func(a, b wasmbedv1.DeviceAppStatus) int { return strings.Compare(a.Name, b.Name) })
	return out
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
