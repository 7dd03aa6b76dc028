package abi

import "github.com/wasmbed/wasmbed/sut/refusal"

// Results of a vehicle command, as delivered in VehicleResult.Result. The
// first group is the autopilot's COMMAND_ACK (MAV_RESULT, lower-case); the
// second is the gateway's or the device's own verdict when the command
// never reached the autopilot or no answer came back.
const (
	VehicleAccepted            = "accepted"
	VehicleTemporarilyRejected = "temporarily_rejected"
	VehicleDenied              = "denied"
	VehicleUnsupported         = "unsupported"
	VehicleFailed              = "failed"
	VehicleInProgress          = "in_progress"
	VehicleCancelled           = "cancelled"

	// VehicleTimeout: the autopilot did not acknowledge in time (or, for
	// set_mode, never confirmed the mode).
	VehicleTimeout = "timeout"
	// VehicleNotGranted: the gateway refused a command the app's
	// Application does not list in capabilities.mavlink.
	VehicleNotGranted = "capability_not_granted"
	// VehicleRateLimited: the gateway refused a command over the app's
	// command rate.
	VehicleRateLimited = "command_rate_limited"
	// VehicleNotAvailable: the device names no vehicle, or the gateway
	// does not hear it.
	VehicleNotAvailable = "vehicle_not_available"
	// VehicleInvalid: the gateway could not turn the request into a
	// MAVLink command (an unknown mode, a take-off altitude out of range).
	VehicleInvalid = "invalid_command"
	// VehicleNotConnected: the device had no session with its gateway.
	VehicleNotConnected = "not_connected"
)

// ReasonVehicleCommandRejected is the reason the gateway writes into an
// app's status (Device.status.apps[].reason, and from there the
// Application's status.devices[].reason) when the app's last vehicle
// command was not accepted; lastError/message then says which command,
// the result and the autopilot's STATUSTEXT, e.g.
//
//	arm temporarily_rejected: Arming denied: Resolve system health failures first
//
// The app keeps running; the reason clears when a later command of the app
// is accepted.
const ReasonVehicleCommandRejected refusal.Reason = "VehicleCommandRejected"
