package gateway

import (
	"net"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// sourceLimiter rate-limits enrolment attempts per source address, so one
// host flooding enrolment cannot starve the rest.
type sourceLimiter struct {
	perMinute func() int32
	mu        sync.Mutex
	limiters  map[string]*limiterEntry
}

type limiterEntry struct {
	l        *rate.Limiter
	perMin   int32
	lastSeen time.Time
}

func newSourceLimiter(perMinute func() int32) *sourceLimiter {
	return &sourceLimiter{perMinute: perMinute, limiters: map[string]*limiterEntry{}}
}

// allow reports whether source may enrol now.
func (s *sourceLimiter) allow(source string) bool {
	host := hostOf(source)
	perMin := s.perMinute()
	if perMin <= 0 {
		perMin = 600
	}
	now := time.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.limiters[host]
	if e == nil || e.perMin != perMin {
		// A third of a minute's allowance may arrive at once: a rack of
		// devices powering up together enrols without waiting.
		e = &limiterEntry{l: rate.NewLimiter(rate.Limit(float64(perMin)/60), max(1, int(perMin)/3)), perMin: perMin}
		s.limiters[host] = e
	}
	e.lastSeen = now
	if len(s.limiters) > 4096 {
		for k, v := range s.limiters {
			if now.Sub(v.lastSeen) > 10*time.Minute {
				delete(s.limiters, k)
			}
		}
	}
	return e.l.AllowN(now, 1)
}

// exhausted reports whether source has spent its enrolment allowance: it
// was rate-limited and its bucket has not refilled yet. It spends nothing.
// The gateway closes such a source's new connections before the TLS
// handshake, so a flood costs an accept, not a handshake, per attempt.
func (s *sourceLimiter) exhausted(source string) bool {
	host := hostOf(source)
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.limiters[host]
	return e != nil && e.l.TokensAt(time.Now()) < 1
}

func hostOf(source string) string {
	host, _, err := net.SplitHostPort(source)
	if err != nil {
		return source
	}
	return host
}
