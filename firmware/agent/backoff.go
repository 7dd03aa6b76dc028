package agent

import (
	"math/rand/v2"
	"time"
)

// Backoff is exponential backoff with full jitter: the n-th retry waits a
// uniformly random time in [0, min(Max, Initial·2ⁿ)). Full jitter spreads a
// fleet that lost its gateway at the same instant, so the reconnect storm
// does not arrive in lockstep.
type Backoff struct {
	Initial time.Duration
	Max     time.Duration
}

// Delay returns the wait before retry number attempt (0-based).
func (b Backoff) Delay(attempt int, rnd *rand.Rand) time.Duration {
	initial, maxD := b.Initial, b.Max
	if initial <= 0 {
		initial = 100 * time.Millisecond
	}
	if maxD <= 0 {
		maxD = 30 * time.Second
	}
	ceiling := maxD
	if attempt < 32 {
		if c := initial << attempt; c > 0 && c < maxD {
			ceiling = c
		}
	}
	return time.Duration(rnd.Int64N(int64(ceiling) + 1))
}
