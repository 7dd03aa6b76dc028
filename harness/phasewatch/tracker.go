package phasewatch

import (
	"fmt"
	"sync"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"

	"github.com/wasmbed/wasmbed/harness/timeline"
)

// tracker remembers what it last saw of each object of one kind and
// records what changed: a watch delivers every update (a heartbeat, a
// status write) and, after a re-watch, every object again, and only a
// change of phase or state is worth a line.
type tracker[S any] struct {
	j    *timeline.Journal
	kind string
	// read returns an object's name and state; ok is false for an object
	// of another kind.
	read func(runtime.Object) (name string, state S, ok bool)
	// changes lists the events between two states of the object called
	// name; old is the zero state when the object is new.
	changes func(name string, old, cur S) []timeline.Event
	// describe names a state, for the deleted event.
	describe func(S) string

	mu   sync.Mutex
	seen map[string]S
}

func (t *tracker[S]) observe(typ watch.EventType, obj runtime.Object) {
	name, cur, ok := t.read(obj)
	if !ok {
		return
	}
	subject := t.kind + "/" + name
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.seen == nil {
		t.seen = map[string]S{}
	}
	old, known := t.seen[name]
	if typ == watch.Deleted {
		delete(t.seen, name)
		t.j.Record(timeline.Event{Subject: subject, Kind: "deleted", Text: fmt.Sprintf("%s %s deleted (was %s)", t.kind, name, t.describe(old))})
		return
	}
	if !known {
		t.j.Record(timeline.Event{Subject: subject, Kind: "created", Text: fmt.Sprintf("%s %s created", t.kind, name)})
	}
	for _, e := range t.changes(name, old, cur) {
		if e.Subject == "" {
			e.Subject = subject
		}
		t.j.Record(e)
	}
	t.seen[name] = cur
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}
