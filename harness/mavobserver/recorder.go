package mavobserver

import (
	"math"
	"sync"
	"time"
)

// Sample is one point of a recorded flight, taken at each
// GLOBAL_POSITION_INT.
type Sample struct {
	TimeBoot    time.Duration // vehicle clock
	Lat, Lon    float64
	AltAMSL     float64
	AltRel      float64
	Mode        string
	Armed       bool
	LandedState LandedState
	// SystemStatus is the latest HEARTBEAT's MAV_STATE (PX4 reports
	// CRITICAL while armed in a failsafe).
	SystemStatus uint8
}

// Recorder accumulates a time series of one vehicle, in vehicle time.
type Recorder struct {
	sysid uint8
	obs   *Observer

	mu      sync.Mutex
	samples []Sample
	stopped bool
}

// Record starts recording sysid's flight. Stop it when done; recording
// also ends when the observer closes.
func (o *Observer) Record(sysid uint8) *Recorder {
	r := &Recorder{sysid: sysid, obs: o}
	o.mu.Lock()
	o.recorders[r] = struct{}{}
	o.mu.Unlock()
	return r
}

// Stop ends the recording; the samples stay available.
func (r *Recorder) Stop() {
	r.obs.mu.Lock()
	delete(r.obs.recorders, r)
	r.obs.mu.Unlock()
	r.mu.Lock()
	r.stopped = true
	r.mu.Unlock()
}

func (r *Recorder) add(s Sample) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.stopped {
		r.samples = append(r.samples, s)
	}
}

// Samples returns a copy of the samples so far.
func (r *Recorder) Samples() []Sample {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Sample(nil), r.samples...)
}

// Duration is the vehicle time covered by the samples.
func (r *Recorder) Duration() time.Duration {
	s := r.Samples()
	if len(s) < 2 {
		return 0
	}
	return s[len(s)-1].TimeBoot - s[0].TimeBoot
}

// MaxAltRel is the highest altitude above home recorded (NaN if none).
func (r *Recorder) MaxAltRel() float64 {
	m := math.NaN()
	for _, s := range r.Samples() {
		if math.IsNaN(m) || s.AltRel > m {
			m = s.AltRel
		}
	}
	return m
}

// TimeNearAltRel is how long, in vehicle time, the altitude above home
// stayed within tol of target. Each sample counts until the next one.
func (r *Recorder) TimeNearAltRel(target, tol float64) time.Duration {
	return r.TimeWhere(func(s Sample) bool { return math.Abs(s.AltRel-target) <= tol })
}

// TimeAltRelWithin is how long, in vehicle time, the altitude above home
// stayed within [lo, hi].
func (r *Recorder) TimeAltRelWithin(lo, hi float64) time.Duration {
	return r.TimeWhere(func(s Sample) bool { return s.AltRel >= lo && s.AltRel <= hi })
}

// TimeNearAltAMSL is TimeNearAltRel for the altitude above mean sea level.
func (r *Recorder) TimeNearAltAMSL(target, tol float64) time.Duration {
	return r.TimeWhere(func(s Sample) bool { return math.Abs(s.AltAMSL-target) <= tol })
}

// TimeInMode is how long, in vehicle time, the vehicle was in mode.
func (r *Recorder) TimeInMode(mode string) time.Duration {
	return r.TimeWhere(func(s Sample) bool { return s.Mode == mode })
}

// TimeWhere is how long, in vehicle time, the samples satisfied pred; each
// sample counts until the next one.
func (r *Recorder) TimeWhere(pred func(Sample) bool) time.Duration {
	s := r.Samples()
	var total time.Duration
	for i := 0; i+1 < len(s); i++ {
		if dt := s[i+1].TimeBoot - s[i].TimeBoot; dt > 0 && pred(s[i]) {
			total += dt
		}
	}
	return total
}
