package phasewatch

import (
	"context"
	"fmt"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/wasmbed/wasmbed/harness/timeline"
	wasmbedv1 "github.com/wasmbed/wasmbed/sut/api/v1alpha1"
)

// Source is the journal's name in the artifact folder.
const Source = "phases"

var scheme = func() *runtime.Scheme {
	s := runtime.NewScheme()
	_ = wasmbedv1.AddToScheme(s)
	return s
}()

// Watcher watches one namespace until stopped.
type Watcher struct {
	cancel context.CancelFunc
	done   sync.WaitGroup
	j      *timeline.Journal
}

// Start watches the Devices and Applications in ns and records their
// phase changes in dir/phases.timeline.jsonl.
func Start(rc *rest.Config, ns, dir string) (*Watcher, error) {
	c, err := client.NewWithWatch(rc, client.Options{Scheme: scheme})
	if err != nil {
		return nil, fmt.Errorf("phasewatch: %w", err)
	}
	j, err := timeline.Create(dir, Source)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	w := &Watcher{cancel: cancel, j: j}
	devices, apps := newDeviceTracker(j), newAppTracker(j)
	w.done.Add(2)
	go func() {
		defer w.done.Done()
		follow(ctx, c, ns, &wasmbedv1.DeviceList{}, devices.observe)
	}()
	go func() {
		defer w.done.Done()
		follow(ctx, c, ns, &wasmbedv1.ApplicationList{}, apps.observe)
	}()
	return w, nil
}

// Stop ends the watches and closes the journal.
func (w *Watcher) Stop() error {
	w.cancel()
	w.done.Wait()
	return w.j.Close()
}

// follow feeds every event of a watch on list's kind in ns to observe,
// watching again whenever the API server ends the watch, until ctx ends.
// A watch starts with an ADDED event per existing object, which the
// trackers compare with what they last saw: nothing is recorded twice.
func follow(ctx context.Context, c client.WithWatch, ns string, list client.ObjectList, observe func(watch.EventType, runtime.Object)) {
	retry := 100 * time.Millisecond
	for ctx.Err() == nil {
		w, err := c.Watch(ctx, list, client.InNamespace(ns))
		if err == nil {
			retry = 100 * time.Millisecond
			for ev := range w.ResultChan() {
				if ev.Type == watch.Error {
					break
				}
				observe(ev.Type, ev.Object)
			}
			w.Stop()
		}
		select {
		case <-ctx.Done():
		case <-time.After(retry):
			retry = min(2*retry, 5*time.Second)
		}
	}
}
