package agent

import (
	"math/rand/v2"
	"testing"
	"time"
)

func TestBackoffDelay(t *testing.T) {
	rnd := rand.New(rand.NewPCG(1, 2))
	for _, tc := range []struct {
		b       Backoff
		attempt int
		ceiling time.Duration
	}{
		{Backoff{Initial: time.Second, Max: time.Minute}, 0, time.Second},
		{Backoff{Initial: time.Second, Max: time.Minute}, 3, 8 * time.Second},
		{Backoff{Initial: time.Second, Max: time.Minute}, 6, time.Minute},  // 64 s, capped
		{Backoff{Initial: time.Second, Max: time.Minute}, 40, time.Minute}, // the shift would overflow
		{Backoff{}, 0, 100 * time.Millisecond},                             // defaults
		{Backoff{}, 20, 30 * time.Second},
	} {
		var most time.Duration
		for range 2000 {
			d := tc.b.Delay(tc.attempt, rnd)
			if d < 0 || d > tc.ceiling {
				t.Fatalf("%+v attempt %d: %v outside [0, %v]", tc.b, tc.attempt, d, tc.ceiling)
			}
			most = max(most, d)
		}
		// Full jitter spreads over the whole range, not a fixed wait.
		if most < tc.ceiling*9/10 {
			t.Errorf("%+v attempt %d: 2000 delays all below %v, ceiling %v", tc.b, tc.attempt, most, tc.ceiling)
		}
	}
}
