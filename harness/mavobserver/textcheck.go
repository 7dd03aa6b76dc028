package mavobserver

import (
	"fmt"
	"time"
)

// px4TextGate is how recent a ground station's heartbeat must be for PX4
// v1.16 to send STATUSTEXT to its link, in vehicle time (issue 18, fact 2:
// Mavlink::is_gcs_connected).
const px4TextGate = 2500 * time.Millisecond

// TextMark is a point in a vehicle's STATUSTEXTs, to check later what it
// has said since (see NotSaidSince).
type TextMark struct {
	SystemID uint8
	// Seq is the vehicle's TextCount at the mark.
	Seq int
	// At is the wall time of the mark; TimeBoot the vehicle's clock then,
	// as of TimeBootAt.
	At         time.Time
	TimeBoot   time.Duration
	TimeBootAt time.Time
}

// MarkTexts marks where sysid's texts stand now.
func (o *Observer) MarkTexts(sysid uint8) TextMark {
	v, _ := o.Vehicle(sysid)
	return TextMark{SystemID: sysid, Seq: v.TextCount, At: time.Now(), TimeBoot: v.TimeBoot, TimeBootAt: v.TimeBootAt}
}

// NotSaidSince returns nil when the vehicle has said no STATUSTEXT
// containing s since the mark and the observer would have heard it if it
// had. A check that cannot see what it asserts must not pass, so it
// returns an error naming what is missing when:
//
//   - the vehicle has said it;
//   - the observer is not a ground station for any vehicle, or has never
//     received a text from this one (texts do not reach it at all);
//   - the observer's heartbeats stopped, or paused for longer than PX4's
//     2.5 s of vehicle time, since the mark (PX4 sent nothing to it then);
//   - the vehicle's clock has not advanced since the mark (it was not
//     heard, so nothing it said could have been).
//
// A text said just before the call may still be on its way: wait (or
// check repeatedly) for as long as delivery may take.
func (o *Observer) NotSaidSince(m TextMark, s string) error {
	v, ok := o.Vehicle(m.SystemID)
	if !ok {
		return fmt.Errorf("mavobserver: system %d has never been heard: cannot tell whether it said %q", m.SystemID, s)
	}
	if t, said := v.TextAfter(s, m.Seq); said {
		return fmt.Errorf("mavobserver: system %d said %q at %v of vehicle time", m.SystemID, t.Text, t.TimeBoot)
	}
	now := time.Now()
	c := o.gcs.coverage(m.At, now)
	switch {
	case c.vehicles == 0:
		return fmt.Errorf("mavobserver: the observer is no ground station (no vehicle added), so PX4 sends it no STATUSTEXT: cannot tell whether system %d said %q", m.SystemID, s)
	case v.TextCount == 0:
		return fmt.Errorf("mavobserver: no STATUSTEXT has ever arrived from system %d (is the observer a ground station on its GCS link?): cannot tell whether it said %q", m.SystemID, s)
	case c.silenced:
		return fmt.Errorf("mavobserver: the observer's ground-station heartbeats were stopped since the mark, so PX4 stopped sending it STATUSTEXT: cannot tell whether system %d said %q", m.SystemID, s)
	}
	wall := v.TimeBootAt.Sub(m.TimeBootAt)
	vehicle := v.TimeBoot - m.TimeBoot
	if wall <= 0 || vehicle <= 0 {
		return fmt.Errorf("mavobserver: system %d's clock has not advanced since the mark (%v): cannot tell whether it said %q", m.SystemID, v.TimeBoot, s)
	}
	rate := float64(vehicle) / float64(wall)
	if gap := time.Duration(float64(c.maxGap) * rate); gap > px4TextGate {
		return fmt.Errorf("mavobserver: the observer's heartbeats paused for %v of vehicle time (%v wall) since the mark; PX4 sends STATUSTEXT only within %v of one: cannot tell whether system %d said %q",
			gap.Round(time.Millisecond), c.maxGap.Round(time.Millisecond), px4TextGate, m.SystemID, s)
	}
	return nil
}
