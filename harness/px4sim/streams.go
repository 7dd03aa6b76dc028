package px4sim

import (
	"math"
	"sort"
)

// streamSpec is a telemetry stream and its default rate (Hz, simulated
// time) on each link, as observed on PX4 v1.16 SITL: the GCS link runs
// PX4's "Normal" mode plus the rates px4-rc.mavlink raises for SITL, the
// API link PX4's "Onboard" mode.
type streamSpec struct {
	id           uint32
	gcsHz, apiHz float64
}

var streamSpecs = []streamSpec{
	{msgHeartbeat, 1, 1},
	{msgSysStatus, 1, 5},
	{msgExtendedSysState, 1, 5},
	{msgAttitude, 50, 100},
	{msgLocalPositionNED, 50, 50},
	{msgGlobalPositionInt, 50, 50},
	{msgGPSRawInt, 1, 5},
	{msgVFRHUD, 4, 10},
	{msgBatteryStatus, 0.5, 0.5},
	{msgHomePosition, 0.5, 0.5},
}

// requestable lists the messages REQUEST_MESSAGE can ask for once.
var requestable = map[uint32]bool{
	msgHeartbeat: true, msgSysStatus: true, msgExtendedSysState: true, msgAttitude: true,
	msgLocalPositionNED: true, msgGlobalPositionInt: true, msgGPSRawInt: true, msgVFRHUD: true,
	msgBatteryStatus: true, msgHomePosition: true, msgAutopilotVersion: true,
}

// streamSet schedules one link's telemetry in simulated time.
type streamSet struct {
	speed  float64 // simulated seconds per wall second
	budget float64 // messages per wall second for the whole link

	ids      []uint32           // iteration order
	defaults map[uint32]float64 // PX4's rate for this link
	rates    map[uint32]float64 // configured rate, Hz simulated; 0 = off
	interval map[uint32]int64   // effective interval, µs simulated; 0 = off
	next     map[uint32]int64
}

func newStreamSet(api bool, speed, budget float64) *streamSet {
	s := &streamSet{
		speed:    speed,
		budget:   budget,
		defaults: map[uint32]float64{},
		rates:    map[uint32]float64{},
		interval: map[uint32]int64{},
		next:     map[uint32]int64{},
	}
	for _, spec := range streamSpecs {
		hz := spec.gcsHz
		if api {
			hz = spec.apiHz
		}
		s.ids = append(s.ids, spec.id)
		s.defaults[spec.id] = hz
		s.rates[spec.id] = hz
	}
	s.recompute()
	return s
}

// streamable reports whether SET_MESSAGE_INTERVAL can configure id. Like
// PX4 (which has no HEARTBEAT stream entry) it refuses HEARTBEAT.
func (s *streamSet) streamable(id uint32) bool {
	_, ok := s.defaults[id]
	return ok && id != msgHeartbeat
}

// setInterval applies SET_MESSAGE_INTERVAL: intervalUs < 0 disables, 0
// restores the default, > 0 sets the interval.
func (s *streamSet) setInterval(id uint32, intervalUs float64) {
	switch {
	case intervalUs < 0:
		s.rates[id] = 0
	case intervalUs == 0:
		s.rates[id] = s.defaults[id]
	default:
		s.rates[id] = 1e6 / intervalUs
	}
	s.recompute()
}

// configuredInterval is the interval GET_MESSAGE_INTERVAL reports (µs;
// -1 disabled).
func (s *streamSet) configuredInterval(id uint32) int32 {
	r := s.rates[id]
	if r <= 0 {
		return -1
	}
	return int32(math.Round(1e6 / r))
}

// recompute derives the effective intervals: each stream keeps its rate
// unless the link's total in wall time would exceed the budget, in which
// case the fastest streams are cut to an equal share (water filling).
func (s *streamSet) recompute() {
	type entry struct {
		id   uint32
		wall float64
	}
	var active []entry
	for _, id := range s.ids {
		if r := s.rates[id]; r > 0 {
			active = append(active, entry{id, r * s.speed})
		}
	}
	sort.Slice(active, func(i, j int) bool { return active[i].wall < active[j].wall })
	left := s.budget
	capWall := math.Inf(1)
	for i, e := range active {
		share := left / float64(len(active)-i)
		if e.wall > share {
			capWall = share
			break
		}
		left -= e.wall
	}
	for _, id := range s.ids {
		r := s.rates[id]
		if r <= 0 {
			s.interval[id] = 0
			continue
		}
		r = math.Min(r, capWall/s.speed)
		s.interval[id] = int64(math.Max(1, math.Round(1e6/r)))
	}
}

// due returns the streams to send at simulated time now, in a fixed order.
func (s *streamSet) due(now int64, out []uint32) []uint32 {
	for _, id := range s.ids {
		iv := s.interval[id]
		if iv == 0 || now < s.next[id] {
			continue
		}
		out = append(out, id)
		s.next[id] += iv
		if s.next[id] <= now {
			s.next[id] = now + iv
		}
	}
	return out
}
