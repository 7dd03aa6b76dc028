package abi

// Vehicle commands an Application may grant (spec.capabilities.mavlink).
const (
	VehicleArm     = "arm"
	VehicleDisarm  = "disarm"
	VehicleTakeoff = "takeoff"
	VehicleLand    = "land"
	VehicleRTL     = "rtl"
	VehicleSetMode = "set_mode"
)

// VehicleCommands lists every vehicle command.
func VehicleCommands() []string {
	return []string{VehicleArm, VehicleDisarm, VehicleTakeoff, VehicleLand, VehicleRTL, VehicleSetMode}
}

// IsVehicleCommand reports whether name is a vehicle command.
func IsVehicleCommand(name string) bool {
	for _, c := range VehicleCommands() {
		if c == name {
			return true
		}
	}
	return false
}

// TopicVehicleResult is the topic on which an app's on_message receives the
// results of its vehicle commands. It is delivered to the app that sent the
// command whether or not it subscribes to it.
const TopicVehicleResult = "vehicle/result"

// VehicleRequest is the JSON an app passes to vehicle_command.
type VehicleRequest struct {
	Command string `json:"command"`
	// Param is the takeoff altitude in metres above home.
	Param float64 `json:"param,omitempty"`
	// Mode is the flight mode for set_mode.
	Mode string `json:"mode,omitempty"`
}

// VehicleResult is the JSON delivered on TopicVehicleResult.
type VehicleResult struct {
	// ID is the value vehicle_command returned for the request.
	ID      int32  `json:"id"`
	Command string `json:"command"`
	// Result is the autopilot's (or the gateway's) verdict, e.g. "accepted",
	// "denied", "failed", "timeout", "unavailable".
	Result  string `json:"result"`
	Message string `json:"message,omitempty"`
}
