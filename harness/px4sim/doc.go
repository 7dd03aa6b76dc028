// Package px4sim is a simulated quadrotor that behaves like PX4 v1.16 SITL
// (SIH quad) on its MAVLink surface.
//
// Why it exists: the scenarios drive the Wasmbed gateway, and the gateway
// talks MAVLink to a flight controller. Running real PX4 SITL for every
// scenario is slow and needs a PX4 build, so the default environment uses
// this simulator instead. Its value rests entirely on being faithful: the
// same scenarios must pass unchanged against real PX4 (see package px4sitl),
// so every observable behaviour here mirrors what a real PX4 v1.16.0 SITL
// was observed to do, including its awkward parts:
//
//   - Two UDP links like PX4's SITL start-up script: a GCS link ("Normal"
//     mode, bound to 18570+i, sending to 14550) and an onboard/API link
//     ("Onboard" mode, bound to 14580+i, sending to 14540+i), with PX4's
//     per-mode message rates. A link sends to its configured remote until
//     it receives its first packet; from then on it latches that packet's
//     source address as its only partner, exactly like PX4's UDP transport.
//   - STATUSTEXT goes only to a link where a ground station's HEARTBEAT
//     (MAV_TYPE_GCS) arrived within the last 2.5 s; texts queued for
//     longer than 5 s are dropped. Each link numbers its texts itself and
//     splits long ones into chunks (id, chunk_seq); commander's texts that
//     PX4 also sends as events end in a tab. COMMAND_ACK goes only to the
//     link (and the system and component) a command came from. Messages
//     received on one link that are not addressed to the vehicle are
//     forwarded to the other (PX4's MAV_x_FORWARD).
//   - HEARTBEAT type 2 (quadrotor), autopilot 12 (PX4), custom_mode encoded
//     as main_mode<<16 | sub_mode<<24, PX4's base_mode flags and
//     system_status. Boot mode is AUTO.LOITER, disarmed.
//   - Commander semantics: arming checks (no RC, so manual modes cannot
//     arm), "Disarming denied: not landed", NAV_TAKEOFF altitude in AMSL,
//     DO_SET_MODE answered by two COMMAND_ACKs (an unconditional ACCEPTED,
//     then the real result), UNSUPPORTED for unknown commands, auto-disarm
//     after landing and before take-off, the mode falling back after
//     disarming. Readiness shows only as the MAV_SYS_STATUS_PREARM_CHECK
//     bit in SYS_STATUS: "Ready for takeoff!" goes to the console (Logf),
//     never to a link.
//   - Reported positions are the vehicle's estimate: home is reset at
//     arming and at take-off detection, and the relative altitude wanders
//     on the ground and reads a little above the requested height in the
//     air and above zero after landing, as PX4's does (estimator.go).
//   - The data-link-loss failsafe (NAV_DLL_ACT/COM_DL_LOSS_T/COM_FAIL_ACT_T),
//     triggered only by the absence of heartbeats of type MAV_TYPE_GCS.
//
// Simulated time runs SpeedFactor times faster than wall time, like
// PX4_SIM_SPEED_FACTOR on the real SITL. Everything on the vehicle runs in
// simulated time: time_boot_ms, the physics, the failsafe timeouts and the
// message rates. Because a fast simulation would otherwise flood its
// clients, each link caps its telemetry at a wall-clock budget by thinning
// the highest-rate streams (protocol messages such as COMMAND_ACK and
// STATUSTEXT are never thinned).
//
// The physics is deliberately simple (a velocity-controlled point mass with
// PX4's speed limits, a small random wind, sensor noise and estimator
// error) and deterministic: the same Seed and the same commands applied at
// the same simulated instants give the same trajectory. The numbered facts
// cited in the code and tests are those of issue 18, observed on real PX4
// v1.16.0 SITL (README, "PX4 over MAVLink", has the table).
package px4sim
