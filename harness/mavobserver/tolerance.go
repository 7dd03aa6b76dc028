package mavobserver

// Altitude tolerances for judging a PX4 flight by its relative altitude
// (GLOBAL_POSITION_INT.relative_alt), derived from what real PX4 v1.16.0
// SITL did (issue 18, fact 5).
//
// What the relative altitude is measured from: PX4 sets home at arming and
// again when it detects the take-off, so in the air it is relative to the
// home at take-off. A take-off height, though, is asked for relative to
// the home at arming (the gateway turns it into the AMSL altitude PX4's
// NAV_TAKEOFF takes), and PX4 holds that AMSL altitude in its own
// estimate. So while hovering the relative altitude reads the requested
// height plus the difference between the two homes plus the position
// controller's error. PX4 showed that sum as peaks of 10.14-10.52 m for a
// take-off to 10 m: the take-off home sits lower (the estimate dips in the
// prop wash when the take-off is detected), never higher. Hence:
//
//   - HoverAbove: the largest reading above the requested height PX4
//     showed, 0.52 m, plus 0.2 m for the estimate's noise and the
//     controller's overshoot (the simulator's model spans 0.15-0.65 m
//     over 30 seeds);
//   - HoverBelow: PX4's controller holds its setpoint to about 0.1 m and
//     the home difference was never negative, so 0.3 m below is not
//     hovering at the requested height any more.
//
// On the ground PX4's relative altitude wandered between -0.7 m and
// +1.06 m, and after a flight a landed vehicle read 0.503 m, so
// GroundWander, the largest magnitude seen plus 0.25 m, bounds the
// reading of a vehicle on the ground. Whether a vehicle has landed is
// EXTENDED_SYS_STATE's landed state, not its altitude.
const (
	HoverAbove   = 0.75
	HoverBelow   = 0.3
	GroundWander = 1.3
)

// HoverBand is the relative altitude of a PX4 vehicle hovering at the
// height requested above its arming home (see above).
func HoverBand(requested float64) (lo, hi float64) {
	return requested - HoverBelow, requested + HoverAbove
}
