package abi

// Sizes the host enforces. They keep one app from filling a device's flash
// or memory, and keep every message within one protocol frame.
const (
	// MaxLogBytes: a longer log line is truncated.
	MaxLogBytes = 1024
	// MaxTopicBytes bounds a topic.
	MaxTopicBytes = 128
	// MaxMessageBytes bounds published and delivered message data.
	MaxMessageBytes = 16 * 1024
	// MaxKVKeyBytes bounds a key-value store key.
	MaxKVKeyBytes = 128
	// MaxKVValueBytes bounds one value.
	MaxKVValueBytes = 4 * 1024
	// MaxKVBytes bounds an app's whole store: the sum of its keys' and
	// values' lengths.
	MaxKVBytes = 16 * 1024
	// MaxConfigKeyBytes bounds a config_get key.
	MaxConfigKeyBytes = 256
	// MaxVehicleRequestBytes bounds a vehicle_command request.
	MaxVehicleRequestBytes = 1024
	// MaxVehicleInFlight bounds an app's unanswered vehicle commands.
	MaxVehicleInFlight = 8
)
