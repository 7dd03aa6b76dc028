package mavevents

import (
	"context"
	"sync"
	"time"

	"github.com/wasmbed/wasmbed/harness/mavobserver"
	"github.com/wasmbed/wasmbed/harness/timeline"
)

// Source is the journal's name in the artifact folder.
const Source = "mavlink"

// Options shape a Watcher.
type Options struct {
	// LinkLost is how long without a HEARTBEAT (wall time) counts as the
	// link lost. Default 3 s: PX4 sends one a second of vehicle time, and
	// vehicles here fly at least as fast as wall time.
	LinkLost time.Duration
}

// Watcher records one vehicle's events until stopped.
type Watcher struct {
	cancel context.CancelFunc
	done   sync.WaitGroup
}

// Watch records sysid's events, as o sees them, in j.
func Watch(o *mavobserver.Observer, sysid uint8, j *timeline.Journal, opts Options) *Watcher {
	if opts.LinkLost == 0 {
		opts.LinkLost = 3 * time.Second
	}
	ctx, cancel := context.WithCancel(context.Background())
	w := &Watcher{cancel: cancel}
	var mu sync.Mutex
	var last mavobserver.Vehicle
	w.done.Add(2)
	// Every change: the observer calls the condition on each message.
	go func() {
		defer w.done.Done()
		// It returns when the watch is stopped or the observer closes.
		_, _ = o.WaitFor(ctx, sysid, func(v mavobserver.Vehicle) bool {
			mu.Lock()
			defer mu.Unlock()
			if v.Heartbeats == last.Heartbeats && v.TextCount == last.TextCount &&
				v.Armed == last.Armed && v.Mode == last.Mode && v.LandedState == last.LandedState && v.HasLandedState == last.HasLandedState {
				return false
			}
			for _, e := range changes(last, v) {
				j.Record(e)
			}
			last = v
			return false
		})
	}()
	// Silence: nothing arrives to call the condition, so look.
	go func() {
		defer w.done.Done()
		lost, lastHeard := false, time.Time{}
		tick := time.NewTicker(opts.LinkLost / 6)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			v, ok := o.Vehicle(sysid)
			if !ok || v.Heartbeats == 0 {
				continue
			}
			quiet := time.Since(v.LastHeartbeat)
			if !lost && quiet > opts.LinkLost {
				lost, lastHeard = true, v.LastHeartbeat
				j.Record(linkEvent(sysid, true, quiet))
			} else if lost && v.LastHeartbeat.After(lastHeard) {
				lost = false
				j.Record(linkEvent(sysid, false, v.LastHeartbeat.Sub(lastHeard)))
			}
		}
	}()
	return w
}

// Stop ends the recording.
func (w *Watcher) Stop() {
	w.cancel()
	w.done.Wait()
}
