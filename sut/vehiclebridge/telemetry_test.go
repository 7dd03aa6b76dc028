package vehiclebridge

import (
	"testing"
	"time"

	"github.com/wasmbed/wasmbed/sut/abi"
)

func TestThrottleForwardsChangesAtOnceAndCapsTheRest(t *testing.T) {
	th := newThrottle(40 * time.Millisecond)
	t0 := time.Unix(0, 0)
	if !th.allow(abi.TopicVehicleGlobalPosition, 0, t0) || th.allow(abi.TopicVehicleGlobalPosition, 0, t0.Add(10*time.Millisecond)) {
		t.Error("position not capped")
	}
	if !th.allow(abi.TopicVehicleGlobalPosition, 0, t0.Add(41*time.Millisecond)) {
		t.Error("position not released after the interval")
	}
	if !th.allow(abi.TopicVehicleHeartbeat, 1, t0) || th.allow(abi.TopicVehicleHeartbeat, 1, t0.Add(time.Millisecond)) {
		t.Error("unchanged heartbeat not capped")
	}
	if !th.allow(abi.TopicVehicleHeartbeat, 2, t0.Add(2*time.Millisecond)) {
		t.Error("changed heartbeat held back")
	}
	for i := range 5 {
		if !th.allow(abi.TopicVehicleStatusText, 0, t0.Add(time.Duration(i))) {
			t.Error("status text throttled")
		}
	}
}
