// Package mavobserver is an independent ground-station-side witness of
// vehicles on a MAVLink link.
//
// Why it exists: a scenario that asks the system under test (the Wasmbed
// gateway) whether a flight went well is asking the suspect for an alibi.
// The observer listens to the vehicle itself and keeps its own account:
// arming, flight mode (PX4 custom_mode decoded to names like
// "AUTO.LOITER"), landed state, altitude (relative and AMSL), position,
// battery, STATUSTEXTs and the vehicle's own clock (time_boot_ms), so that
// durations are measured in vehicle time even when the simulation runs
// faster than wall time. It works the same against the built-in simulator
// and real PX4 SITL, and it deliberately shares no code with the simulator:
// its decoding is written from the MAVLink and PX4 definitions, not from
// px4sim.
//
// It must not change what it observes. In particular it never sends a
// HEARTBEAT of type MAV_TYPE_GCS, because PX4 counts any GCS heartbeat on
// any link as "the ground station is there": an observer sending them would
// mask exactly the data-link loss a scenario injects. By default it sends
// nothing at all and listens where the vehicle's link already sends (PX4's
// GCS link sends to 14550, like QGroundControl listens). Sending is also
// risky for another reason: a PX4 UDP link latches the first address it
// hears from as its only partner, so an observer that talked first could
// take the link away from the component under test. Only when Config.Vehicle
// is set (a link with nobody else on it, or one that sends nowhere until
// asked) does the observer announce itself, with heartbeats of type
// MAV_TYPE_ONBOARD_CONTROLLER and autopilot MAV_AUTOPILOT_INVALID, which PX4
// does not count as a ground station.
package mavobserver
