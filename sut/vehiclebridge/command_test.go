package vehiclebridge

import "testing"

func TestCommandLimiterAllowsABurstThenTheRate(t *testing.T) {
	l := newCommandLimiter()
	for i := range commandBurst {
		if !l.allow("d", "a") {
			t.Fatalf("command %d of the burst refused", i+1)
		}
	}
	if l.allow("d", "a") {
		t.Error("command over the burst allowed")
	}
	if !l.allow("d", "b") || !l.allow("e", "a") {
		t.Error("the limit is per device and app")
	}
}
