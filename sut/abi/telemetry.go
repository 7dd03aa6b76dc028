package abi

import (
	"encoding/binary"
	"errors"
	"math"
	"strings"
)

// Vehicle telemetry topics. A gateway that flies a device's vehicle over
// MAVLink delivers them to that device's apps (only that device's), to the
// apps whose Application subscribes to them, like any pub/sub message.
// Topics under VehicleTopicPrefix are reserved for the gateway: it drops
// what apps publish there, so telemetry cannot be forged.
//
// Every payload is a fixed little-endian layout (see README.md, "Vehicle
// telemetry") starting with the vehicle's own clock, time_boot_ms, so that
// an app measures durations in vehicle time whatever the simulation speed.
const (
	VehicleTopicPrefix         = "vehicle/"
	TopicVehicleHeartbeat      = "vehicle/heartbeat"
	TopicVehicleAttitude       = "vehicle/attitude"
	TopicVehicleLocalPosition  = "vehicle/local_position"
	TopicVehicleGlobalPosition = "vehicle/global_position"
	TopicVehicleLanded         = "vehicle/landed"
	TopicVehicleBattery        = "vehicle/battery"
	TopicVehicleStatusText     = "vehicle/statustext"
	TopicVehicleLink           = "vehicle/link"
)

// VehicleTelemetryTopics lists the telemetry topics (not
// TopicVehicleResult, which only the commanding app receives).
func VehicleTelemetryTopics() []string {
	return []string{TopicVehicleHeartbeat, TopicVehicleAttitude, TopicVehicleLocalPosition,
		TopicVehicleGlobalPosition, TopicVehicleLanded, TopicVehicleBattery, TopicVehicleStatusText, TopicVehicleLink}
}

// IsVehicleTopic reports whether topic is reserved for the gateway's
// vehicle bridge.
func IsVehicleTopic(topic string) bool { return strings.HasPrefix(topic, VehicleTopicPrefix) }

// Fixed payload sizes; the heartbeat, statustext and link payloads are
// followed by a variable-length text.
const (
	HeartbeatSize      = 16 // + mode name
	AttitudeSize       = 28
	LocalPositionSize  = 28
	GlobalPositionSize = 36
	LandedSize         = 8
	BatterySize        = 16
	StatusTextSize     = 8 // + text
	LinkSize           = 8 // + reason
)

// MAV_LANDED_STATE values carried by Landed.State.
const (
	LandedUndefined = 0
	LandedOnGround  = 1
	LandedInAir     = 2
	LandedTakeoff   = 3
	LandedLanding   = 4
)

// ErrShortPayload is returned when a payload is shorter than its layout.
var ErrShortPayload = errors.New("abi: telemetry payload too short")

var le = binary.LittleEndian

// Heartbeat is vehicle/heartbeat: the vehicle's mode and arming state.
//
//	0  u32 time_boot_ms   4  u32 custom_mode   8  u8 base_mode
//	9  u8 system_status  10  u8 armed (0|1)   11  u8 system id
//	12 u8 MAV_TYPE       13  u8 MAV_AUTOPILOT 14  u16 reserved (0)
//	16 mode name, ASCII, to the end (PX4 names such as "AUTO.LOITER";
//	   empty for other autopilots)
type Heartbeat struct {
	TimeBootMs   uint32
	CustomMode   uint32
	BaseMode     uint8
	SystemStatus uint8
	Armed        bool
	SystemID     uint8
	Type         uint8
	Autopilot    uint8
	Mode         string
}

// Append appends the payload to b.
func (h Heartbeat) Append(b []byte) []byte {
	b = le.AppendUint32(b, h.TimeBootMs)
	b = le.AppendUint32(b, h.CustomMode)
	b = append(b, h.BaseMode, h.SystemStatus, boolByte(h.Armed), h.SystemID, h.Type, h.Autopilot, 0, 0)
	return append(b, h.Mode...)
}

// DecodeHeartbeat decodes a vehicle/heartbeat payload.
func DecodeHeartbeat(p []byte) (Heartbeat, error) {
	if len(p) < HeartbeatSize {
		return Heartbeat{}, ErrShortPayload
	}
	return Heartbeat{
		TimeBootMs: le.Uint32(p), CustomMode: le.Uint32(p[4:]), BaseMode: p[8], SystemStatus: p[9],
		Armed: p[10] != 0, SystemID: p[11], Type: p[12], Autopilot: p[13], Mode: string(p[16:]),
	}, nil
}

// Attitude is vehicle/attitude (MAVLink ATTITUDE).
//
//	0 u32 time_boot_ms, then f32: 4 roll, 8 pitch, 12 yaw (rad),
//	16 rollspeed, 20 pitchspeed, 24 yawspeed (rad/s)
type Attitude struct {
	TimeBootMs                      uint32
	Roll, Pitch, Yaw                float32
	RollSpeed, PitchSpeed, YawSpeed float32
}

// Append appends the payload to b.
func (a Attitude) Append(b []byte) []byte {
	b = le.AppendUint32(b, a.TimeBootMs)
	return appendF32(b, a.Roll, a.Pitch, a.Yaw, a.RollSpeed, a.PitchSpeed, a.YawSpeed)
}

// DecodeAttitude decodes a vehicle/attitude payload.
func DecodeAttitude(p []byte) (Attitude, error) {
	if len(p) < AttitudeSize {
		return Attitude{}, ErrShortPayload
	}
	f := f32s(p[4:], 6)
	return Attitude{TimeBootMs: le.Uint32(p), Roll: f[0], Pitch: f[1], Yaw: f[2], RollSpeed: f[3], PitchSpeed: f[4], YawSpeed: f[5]}, nil
}

// LocalPosition is vehicle/local_position (MAVLink LOCAL_POSITION_NED).
//
//	0 u32 time_boot_ms, then f32: 4 x, 8 y, 12 z (m, north-east-down from
//	the estimator's origin), 16 vx, 20 vy, 24 vz (m/s)
type LocalPosition struct {
	TimeBootMs uint32
	X, Y, Z    float32
	VX, VY, VZ float32
}

// Append appends the payload to b.
func (l LocalPosition) Append(b []byte) []byte {
	b = le.AppendUint32(b, l.TimeBootMs)
	return appendF32(b, l.X, l.Y, l.Z, l.VX, l.VY, l.VZ)
}

// DecodeLocalPosition decodes a vehicle/local_position payload.
func DecodeLocalPosition(p []byte) (LocalPosition, error) {
	if len(p) < LocalPositionSize {
		return LocalPosition{}, ErrShortPayload
	}
	f := f32s(p[4:], 6)
	return LocalPosition{TimeBootMs: le.Uint32(p), X: f[0], Y: f[1], Z: f[2], VX: f[3], VY: f[4], VZ: f[5]}, nil
}

// GlobalPosition is vehicle/global_position (MAVLink GLOBAL_POSITION_INT).
//
//	0 u32 time_boot_ms   4 i32 lat (degE7)   8 i32 lon (degE7)
//	then f32: 12 alt (m AMSL), 16 relative_alt (m above home),
//	20 vx, 24 vy, 28 vz (m/s, NED), 32 heading (deg; NaN unknown)
type GlobalPosition struct {
	TimeBootMs  uint32
	LatE7       int32
	LonE7       int32
	AltAMSL     float32
	RelativeAlt float32
	VX, VY, VZ  float32
	Heading     float32
}

// Append appends the payload to b.
func (g GlobalPosition) Append(b []byte) []byte {
	b = le.AppendUint32(b, g.TimeBootMs)
	b = le.AppendUint32(b, uint32(g.LatE7))
	b = le.AppendUint32(b, uint32(g.LonE7))
	return appendF32(b, g.AltAMSL, g.RelativeAlt, g.VX, g.VY, g.VZ, g.Heading)
}

// DecodeGlobalPosition decodes a vehicle/global_position payload.
func DecodeGlobalPosition(p []byte) (GlobalPosition, error) {
	if len(p) < GlobalPositionSize {
		return GlobalPosition{}, ErrShortPayload
	}
	f := f32s(p[12:], 6)
	return GlobalPosition{TimeBootMs: le.Uint32(p), LatE7: int32(le.Uint32(p[4:])), LonE7: int32(le.Uint32(p[8:])),
		AltAMSL: f[0], RelativeAlt: f[1], VX: f[2], VY: f[3], VZ: f[4], Heading: f[5]}, nil
}

// Landed is vehicle/landed (MAVLink EXTENDED_SYS_STATE).
//
//	0 u32 time_boot_ms   4 u8 landed_state (Landed*)   5 u8 vtol_state
//	6 u16 reserved (0)
type Landed struct {
	TimeBootMs uint32
	State      uint8
	VTOLState  uint8
}

// Append appends the payload to b.
func (l Landed) Append(b []byte) []byte {
	b = le.AppendUint32(b, l.TimeBootMs)
	return append(b, l.State, l.VTOLState, 0, 0)
}

// DecodeLanded decodes a vehicle/landed payload.
func DecodeLanded(p []byte) (Landed, error) {
	if len(p) < LandedSize {
		return Landed{}, ErrShortPayload
	}
	return Landed{TimeBootMs: le.Uint32(p), State: p[4], VTOLState: p[5]}, nil
}

// Battery is vehicle/battery (MAVLink BATTERY_STATUS, or SYS_STATUS
// until the vehicle sends one).
//
//	0 u32 time_boot_ms, then f32: 4 voltage (V), 8 current (A),
//	12 remaining (0..1); NaN where the vehicle does not know
type Battery struct {
	TimeBootMs uint32
	Voltage    float32
	Current    float32
	Remaining  float32
}

// Append appends the payload to b.
func (bt Battery) Append(b []byte) []byte {
	b = le.AppendUint32(b, bt.TimeBootMs)
	return appendF32(b, bt.Voltage, bt.Current, bt.Remaining)
}

// DecodeBattery decodes a vehicle/battery payload.
func DecodeBattery(p []byte) (Battery, error) {
	if len(p) < BatterySize {
		return Battery{}, ErrShortPayload
	}
	f := f32s(p[4:], 3)
	return Battery{TimeBootMs: le.Uint32(p), Voltage: f[0], Current: f[1], Remaining: f[2]}, nil
}

// StatusText is vehicle/statustext: one complete STATUSTEXT (chunks
// reassembled).
//
//	0 u32 time_boot_ms   4 u8 severity (MAV_SEVERITY, 0 emergency ..
//	7 debug)   5..7 reserved (0)   8 text, UTF-8, to the end
type StatusText struct {
	TimeBootMs uint32
	Severity   uint8
	Text       string
}

// Append appends the payload to b.
func (s StatusText) Append(b []byte) []byte {
	b = le.AppendUint32(b, s.TimeBootMs)
	b = append(b, s.Severity, 0, 0, 0)
	return append(b, s.Text...)
}

// DecodeStatusText decodes a vehicle/statustext payload.
func DecodeStatusText(p []byte) (StatusText, error) {
	if len(p) < StatusTextSize {
		return StatusText{}, ErrShortPayload
	}
	return StatusText{TimeBootMs: le.Uint32(p), Severity: p[4], Text: string(p[8:])}, nil
}

// Link is vehicle/link: whether the gateway hears the vehicle. It is sent
// when the state changes and about once a second.
//
//	0 u32 time_boot_ms (the last the vehicle sent)   4 u8 up (0|1)
//	5..7 reserved (0)   8 reason, ASCII, to the end
type Link struct {
	TimeBootMs uint32
	Up         bool
	Reason     string
}

// Append appends the payload to b.
func (l Link) Append(b []byte) []byte {
	b = le.AppendUint32(b, l.TimeBootMs)
	b = append(b, boolByte(l.Up), 0, 0, 0)
	return append(b, l.Reason...)
}

// DecodeLink decodes a vehicle/link payload.
func DecodeLink(p []byte) (Link, error) {
	if len(p) < LinkSize {
		return Link{}, ErrShortPayload
	}
	return Link{TimeBootMs: le.Uint32(p), Up: p[4] != 0, Reason: string(p[8:])}, nil
}

func boolByte(v bool) byte {
	if v {
		return 1
	}
	return 0
}

func appendF32(b []byte, vs ...float32) []byte {
	for _, v := range vs {
		b = le.AppendUint32(b, math.Float32bits(v))
	}
	return b
}

func f32s(p []byte, n int) []float32 {
	out := make([]float32, n)
	for i := range out {
		out[i] = math.Float32frombits(le.Uint32(p[4*i:]))
	}
	return out
}
