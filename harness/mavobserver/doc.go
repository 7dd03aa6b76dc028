// Package mavobserver is an independent ground station that witnesses
// vehicles on their MAVLink GCS links.
//
// Why it exists: a scenario that asks the system under test (the Wasmbed
// gateway) whether a flight went well is asking the suspect for an alibi.
// The observer listens to the vehicle itself and keeps its own account:
// arming, flight mode (PX4 custom_mode decoded to names like
// "AUTO.LOITER"), landed state, altitude (relative and AMSL), position,
// readiness (SYS_STATUS's pre-arm bit), battery, STATUSTEXTs and the
// vehicle's own clock (time_boot_ms), so that durations are measured in
// vehicle time even when the simulation runs faster than wall time. It
// works the same against the built-in simulator and real PX4 SITL, and it
// deliberately shares no code with the simulator: its decoding is written
// from the MAVLink and PX4 definitions, not from px4sim.
//
// It is a ground station like QGroundControl, on the vehicle's GCS link
// (PX4's 18570+i, which sends to 14550), because of what real PX4 v1.16
// does (issue 18):
//
//   - PX4 sends STATUSTEXT only to a link where a ground station's
//     HEARTBEAT (MAV_TYPE_GCS) arrived within the last 2.5 s, and drops
//     texts queued for more than 5 s (fact 2). A passive listener hears no
//     texts at all, so the observer sends GCS heartbeats (Config.Vehicles,
//     AddVehicle) at one per vehicle second when told the speed factor.
//   - PX4 sends COMMAND_ACK only to the link and component a command came
//     from (fact 3), so the observer never sees the acks for the commands
//     the system under test sends. Scenarios judge a command by what the
//     vehicle then does (mode, armed, altitude), which the observer sees.
//   - Readiness is the MAV_SYS_STATUS_PREARM_CHECK bit in SYS_STATUS
//     (Vehicle.ReadyToArm); "Ready for takeoff!" never leaves PX4's console
//     (fact 1).
//   - Texts are kept as the vehicle sent them, reassembled from their
//     chunks (id, chunk_seq) but with PX4's trailing tab (fact 4).
//
// Being a ground station has a cost: PX4 counts a GCS heartbeat on any
// link as "the ground station is there", so while the observer sends them
// the vehicle never loses its data link. A scenario that takes the ground
// segment away must stop them too (StopHeartbeats), and then sees no texts
// (PX4 says "Connection to ground station lost" to nobody): it judges the
// failsafe by the vehicle's mode and system status. A check that the
// vehicle did not say something is only worth anything if the observer
// could have heard it: NotSaidSince fails when it could not.
//
// A PX4 UDP link latches the first address it hears from as its only
// partner. The observer sends from the address it listens on, where the
// GCS link sends anyway, so it takes nothing from anyone; it must never be
// pointed at a link the system under test uses.
package mavobserver
