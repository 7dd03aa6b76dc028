// Package px4sitl launches a real PX4 SITL build (the SIH quadrotor) for
// scenarios that must run against real PX4 rather than the built-in
// simulator (package px4sim).
//
// Why it exists: px4sim is only worth its speed if it is faithful, and the
// only way to keep it honest is to run the same scenarios against the real
// autopilot now and then. PX4 is not vendored, downloaded or built here:
// point PX4_SITL_DIR at an existing PX4 v1.16 SITL build directory (the one
// holding bin/px4 and etc/, e.g. PX4-Autopilot/build/px4_sitl_default).
// Without it, New returns ErrNotConfigured and scenarios can skip.
//
// Instance N is started the way PX4's sitl_multiple_run.sh does it:
// "$PX4_SITL_DIR/bin/px4 -i N -d $PX4_SITL_DIR/etc" from a fresh working
// directory, with PX4_SIM_MODEL=sihsim_quadx, PX4_SIMULATOR=sihsim and
// PX4_SIM_SPEED_FACTOR set. Its MAVLink ports are PX4's, offset by N: the
// GCS link on 18570+N sending to 14550, the API link on 14580+N sending to
// 14540+N, and its system id is N+1. The launcher waits until the vehicle
// is ready the way a ground station can tell: a HEARTBEAT and a SYS_STATUS
// whose MAV_SYS_STATUS_PREARM_CHECK bit says the pre-arm checks pass. PX4
// v1.16 prints "Ready for takeoff!" on its console only, at the same
// moment, never as a STATUSTEXT (issue 18, fact 1); a wait that times out
// says what was missing. Close kills the whole process group and removes
// the working directory.
package px4sitl
