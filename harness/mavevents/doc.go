// Package mavevents turns what the independent MAVLink observer sees of a
// vehicle into timeline events: first heard, armed and disarmed, each mode
// change, take-off and landing (from EXTENDED_SYS_STATE), the autopilot's
// own STATUSTEXTs, and the link lost and back (no HEARTBEAT for a while).
// The testbed records them for every vehicle of a spec's airspace in
// mavlink.timeline.jsonl, so the run report can show a flight beside the
// spec's steps, the faults and the SUT's logs on one axis.
//
// It only reads the observer's state; it never sends on the vehicle's
// links.
package mavevents
