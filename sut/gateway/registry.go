package gateway

import (
	"sync"
)

// registry maps device names to their live session. Every session gets a
// generation from a counter that only grows, so when an old session ends
// after a newer one replaced it, its cleanup can tell and leaves the newer
// one alone.
type registry struct {
	mu      sync.Mutex
	byName  map[string]*session
	nextGen uint64
}

func newRegistry() *registry {
	return &registry{byName: map[string]*session{}}
}

// add makes s the device's current session and returns the one it
// replaced, if any.
func (r *registry) add(s *session) (replaced *session) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.nextGen++
	s.gen = r.nextGen
	replaced = r.byName[s.device]
	r.byName[s.device] = s
	return replaced
}

// remove drops s if it is still the device's current session, and reports
// whether it was.
func (r *registry) remove(s *session) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if cur := r.byName[s.device]; cur == s {
		delete(r.byName, s.device)
		return true
	}
	return false
}

// current returns the device's live session, or nil.
func (r *registry) current(device string) *session {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.byName[device]
}

// isCurrent reports whether gen is the device's live generation.
func (r *registry) isCurrent(device string, gen uint64) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := r.byName[device]
	return s != nil && s.gen == gen
}

func (r *registry) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.byName)
}

// all returns a snapshot of the live sessions.
func (r *registry) all() []*session {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]*session, 0, len(r.byName))
	for _, s := range r.byName {
		out = append(out, s)
	}
	return out
}
