package testbed

import (
	"context"
	"fmt"

	"github.com/wasmbed/wasmbed/harness/env"
	"github.com/wasmbed/wasmbed/harness/mavevents"
	"github.com/wasmbed/wasmbed/harness/mavobserver"
	"github.com/wasmbed/wasmbed/harness/timeline"
)

// FaultSource is the journal, in the spec's artifact folder, of every
// fault the testbed injected (faults.timeline.jsonl).
const FaultSource = "faults"

// openFaultJournal opens the spec's fault journal, closed when the Env
// closes: after the links, which are closed by a cleanup registered later
// and so run earlier.
func openFaultJournal(e *env.Env) (*timeline.Journal, error) {
	j, err := timeline.Create(e.ArtifactDir, FaultSource)
	if err != nil {
		return nil, err
	}
	e.Defer("close the fault journal", func(context.Context) error { return j.Close() })
	return j, nil
}

// faultNoter records a fault on subject in the journal.
func faultNoter(j *timeline.Journal, subject string) func(fault string) {
	return func(fault string) {
		level := timeline.Warn
		if fault == "restore" || fault == "clear" {
			level = timeline.Info
		}
		j.Record(timeline.Event{Subject: subject, Kind: fault, Level: level, Text: fmt.Sprintf("%s: %s", subject, fault)})
	}
}

// openMAVLinkJournal opens the airspace's MAVLink journal.
func openMAVLinkJournal(e *env.Env) (*timeline.Journal, error) {
	j, err := timeline.Create(e.ArtifactDir, mavevents.Source)
	if err != nil {
		return nil, err
	}
	e.Defer("close the MAVLink journal", func(context.Context) error { return j.Close() })
	return j, nil
}

// watchVehicle records what the observer sees of sysid until the
// airspace closes.
func (a *Airspace) watchVehicle(obs *mavobserver.Observer, sysid uint8) {
	w := mavevents.Watch(obs, sysid, a.mavlink, mavevents.Options{})
	a.mu.Lock()
	a.watchers = append(a.watchers, w)
	a.mu.Unlock()
}
