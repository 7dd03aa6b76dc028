package testbed

import (
	"strings"
	"testing"
	"time"
)

func TestVehicleSpeedFollowsPX4sCPUCost(t *testing.T) {
	for _, tc := range []struct {
		requested float64
		n, cpus   int
		want      float64
	}{
		{10, 1, 2, 10}, // one PX4 at 10x ran at 9.7x on 2 cores
		{10, 2, 2, 3},  // two at 10x flapped on 2 cores, at 3x they flew (fact 6)
		{10, 2, 1, 3},  // never below what 2 cores give two vehicles
		{10, 2, 4, 9},
		{10, 2, 5, 10}, // enough cores: the requested speed
		{2, 2, 16, 2},  // never above the requested speed
		{10, 8, 2, 1},  // at least 1x
	} {
		got, why := VehicleSpeed(tc.requested, tc.n, tc.cpus)
		if got != tc.want {
			t.Errorf("%d vehicles on %d CPUs at %gx requested: %gx, want %gx", tc.n, tc.cpus, tc.requested, got, tc.want)
		}
		if !strings.Contains(why, "speed factor") {
			t.Errorf("explanation %q", why)
		}
	}
}

func TestObserverHeartbeatsOncePerVehicleSecond(t *testing.T) {
	for speed, want := range map[float64]time.Duration{1: time.Second, 10: 100 * time.Millisecond, 50: 20 * time.Millisecond, 1000: 10 * time.Millisecond, 0.5: time.Second} {
		if got := gcsHeartbeatPeriod(speed); got != want {
			t.Errorf("speed %g: %v, want %v", speed, got, want)
		}
	}
}
