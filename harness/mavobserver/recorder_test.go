package mavobserver

import (
	"math"
	"testing"
	"time"
)

func TestRecorderMeasuresInVehicleTime(t *testing.T) {
	r := &Recorder{}
	for i, alt := range []float64{0, 4, 9.7, 10.2, 10.4, 9.4, 10, 3} {
		r.add(Sample{TimeBoot: time.Duration(i) * 500 * time.Millisecond, AltRel: alt, AltAMSL: 488 + alt, Mode: map[bool]string{true: "AUTO.TAKEOFF", false: "AUTO.LOITER"}[i < 3]})
	}
	// Samples 2, 3, 4 and 6 are within 0.5 m of 10; each counts for 0.5 s.
	if got := r.TimeNearAltRel(10, 0.5); got != 2*time.Second {
		t.Errorf("TimeNearAltRel = %v, want 2s", got)
	}
	if got := r.TimeNearAltAMSL(498, 0.5); got != 2*time.Second {
		t.Errorf("TimeNearAltAMSL = %v, want 2s", got)
	}
	if got := r.MaxAltRel(); got != 10.4 {
		t.Errorf("MaxAltRel = %v", got)
	}
	if got := r.TimeInMode("AUTO.TAKEOFF"); got != 1500*time.Millisecond {
		t.Errorf("TimeInMode = %v", got)
	}
	if got := r.Duration(); got != 3500*time.Millisecond {
		t.Errorf("Duration = %v", got)
	}
	if !math.IsNaN((&Recorder{}).MaxAltRel()) {
		t.Error("empty recorder has a maximum")
	}
}
