package px4sim

import (
	"math"

	"github.com/bluenviron/gomavlib/v3/pkg/dialects/common"
	"github.com/bluenviron/gomavlib/v3/pkg/message"
)

// MAVLink message ids the simulator sends.
const (
	msgHeartbeat         = 0
	msgSysStatus         = 1
	msgGPSRawInt         = 24
	msgAttitude          = 30
	msgLocalPositionNED  = 32
	msgGlobalPositionInt = 33
	msgVFRHUD            = 74
	msgBatteryStatus     = 147
	msgAutopilotVersion  = 148
	msgHomePosition      = 242
	msgExtendedSysState  = 245
)

// flightSwVersion is PX4 v1.16.0, FIRMWARE_VERSION_TYPE_OFFICIAL.
const flightSwVersion = 1<<24 | 16<<16 | 0<<8 | 255

// SYS_STATUS sensor bits PX4 SITL reports as present, enabled and healthy.
const sysStatusSensors = common.MAV_SYS_STATUS_SENSOR_3D_GYRO |
	common.MAV_SYS_STATUS_SENSOR_3D_ACCEL |
	common.MAV_SYS_STATUS_SENSOR_3D_MAG |
	common.MAV_SYS_STATUS_SENSOR_ABSOLUTE_PRESSURE |
	common.MAV_SYS_STATUS_SENSOR_GPS |
	common.MAV_SYS_STATUS_SENSOR_ANGULAR_RATE_CONTROL |
	common.MAV_SYS_STATUS_SENSOR_ATTITUDE_STABILIZATION |
	common.MAV_SYS_STATUS_SENSOR_YAW_POSITION |
	common.MAV_SYS_STATUS_SENSOR_Z_ALTITUDE_CONTROL |
	common.MAV_SYS_STATUS_SENSOR_XY_POSITION_CONTROL |
	common.MAV_SYS_STATUS_SENSOR_MOTOR_OUTPUTS |
	common.MAV_SYS_STATUS_AHRS |
	common.MAV_SYS_STATUS_SENSOR_BATTERY

// buildMessage returns the message with the given id describing the
// vehicle now, or nil when PX4 would not send it (no valid position
// before the estimator converged, no home yet) or it is not implemented.
func (v *vehicle) buildMessage(id uint32) message.Message {
	switch id {
	case msgHeartbeat:
		return v.heartbeat()
	case msgSysStatus:
		return v.sysStatus()
	case msgExtendedSysState:
		return &common.MessageExtendedSysState{
			VtolState:   common.MAV_VTOL_STATE_UNDEFINED,
			LandedState: v.landedState(),
		}
	case msgAttitude:
		return &common.MessageAttitude{
			TimeBootMs: v.timeBootMs(),
			Roll:       float32(v.roll),
			Pitch:      float32(v.pitch),
			Yaw:        float32(v.yaw),
			Rollspeed:  float32(v.rollRate),
			Pitchspeed: float32(v.pitchRate),
			Yawspeed:   float32(v.yawRate),
		}
	case msgLocalPositionNED:
		if !v.estimatorReady {
			return nil
		}
		p := v.estimated()
		return &common.MessageLocalPositionNed{
			TimeBootMs: v.timeBootMs(),
			X:          float32(p.n), Y: float32(p.e), Z: float32(p.d),
			Vx: float32(v.vel.n), Vy: float32(v.vel.e), Vz: float32(v.vel.d),
		}
	case msgGlobalPositionInt:
		if !v.estimatorReady {
			return nil
		}
		return v.globalPosition()
	case msgGPSRawInt:
		return v.gpsRaw()
	case msgVFRHUD:
		return v.vfrHUD()
	case msgBatteryStatus:
		return v.batteryStatus()
	case msgHomePosition:
		if !v.home.valid {
			return nil
		}
		return v.homePosition()
	case msgAutopilotVersion:
		return v.autopilotVersion()
	}
	return nil
}

func (v *vehicle) timeBootMs() uint32 { return uint32(v.now / 1000) }

func (v *vehicle) heartbeat() *common.MessageHeartbeat {
	status := common.MAV_STATE_STANDBY
	if v.armed {
		status = common.MAV_STATE_ACTIVE
		if v.fs.active {
			status = common.MAV_STATE_CRITICAL
		}
	}
	return &common.MessageHeartbeat{
		Type:           common.MAV_TYPE_QUADROTOR,
		Autopilot:      common.MAV_AUTOPILOT_PX4,
		BaseMode:       common.MAV_MODE_FLAG(v.mode.baseMode(v.armed)),
		CustomMode:     uint32(v.mode),
		SystemStatus:   status,
		MavlinkVersion: 3,
	}
}

// sysStatus is SYS_STATUS. Its MAV_SYS_STATUS_PREARM_CHECK bit is present
// and enabled always and healthy while the pre-arm checks pass for the
// current mode: this is how a ground station sees that PX4 is ready, since
// "Ready for takeoff!" never leaves its console (issue 18, fact 1).
func (v *vehicle) sysStatus() *common.MessageSysStatus {
	health := sysStatusSensors
	if v.canArm() {
		health |= common.MAV_SYS_STATUS_PREARM_CHECK
	}
	return &common.MessageSysStatus{
		OnboardControlSensorsPresent: sysStatusSensors | common.MAV_SYS_STATUS_PREARM_CHECK,
		OnboardControlSensorsEnabled: sysStatusSensors | common.MAV_SYS_STATUS_PREARM_CHECK,
		OnboardControlSensorsHealth:  health,
		Load:                         150,
		VoltageBattery:               uint16(math.Round(v.battery.voltage() * 1000)),
		CurrentBattery:               int16(math.Round(v.battery.current * 100)),
		BatteryRemaining:             int8(math.Round(v.battery.remaining * 100)),
	}
}

// landedState is EXTENDED_SYS_STATE.landed_state as PX4 derives it from
// the land detector and the current setpoint type.
func (v *vehicle) landedState() common.MAV_LANDED_STATE {
	switch {
	case v.landed:
		return common.MAV_LANDED_STATE_ON_GROUND
	case v.mode == ModeAutoTakeoff:
		return common.MAV_LANDED_STATE_TAKEOFF
	case v.mode == ModeAutoLand, v.mode == ModeAutoRTL && v.nav.rtlPhase == rtlLand:
		return common.MAV_LANDED_STATE_LANDING
	}
	return common.MAV_LANDED_STATE_IN_AIR
}

// reported is the estimated position (see estimator.go), as PX4 reports it.
func (v *vehicle) reported() (lat, lon, altAMSL float64) {
	p := v.estimated()
	lat, lon = v.origin.toGlobal(p.n, p.e)
	return lat, lon, v.origin.alt - p.d
}

// gnss is the raw GNSS fix: the truth plus the receiver's noise, without
// the estimator's height error.
func (v *vehicle) gnss() (lat, lon, altAMSL float64) {
	p := v.pos.add(v.noise)
	lat, lon = v.origin.toGlobal(p.n, p.e)
	return lat, lon, v.origin.alt - p.d
}

func (v *vehicle) headingCdeg() uint16 {
	deg := math.Mod(v.yaw*180/math.Pi+360, 360)
	return uint16(math.Round(deg*100)) % 36000
}

func (v *vehicle) globalPosition() *common.MessageGlobalPositionInt {
	lat, lon, alt := v.reported()
	homeAlt := v.origin.alt - v.home.pos.d
	return &common.MessageGlobalPositionInt{
		TimeBootMs:  v.timeBootMs(),
		Lat:         int32(math.Round(lat * 1e7)),
		Lon:         int32(math.Round(lon * 1e7)),
		Alt:         int32(math.Round(alt * 1000)),
		RelativeAlt: int32(math.Round((alt - homeAlt) * 1000)),
		Vx:          int16(math.Round(v.vel.n * 100)),
		Vy:          int16(math.Round(v.vel.e * 100)),
		Vz:          int16(math.Round(v.vel.d * 100)),
		Hdg:         v.headingCdeg(),
	}
}

func (v *vehicle) gpsRaw() *common.MessageGpsRawInt {
	lat, lon, alt := v.gnss()
	cog := math.Mod(math.Atan2(v.vel.e, v.vel.n)*180/math.Pi+360, 360)
	return &common.MessageGpsRawInt{
		TimeUsec:          uint64(v.now),
		FixType:           common.GPS_FIX_TYPE_3D_FIX,
		Lat:               int32(math.Round(lat * 1e7)),
		Lon:               int32(math.Round(lon * 1e7)),
		Alt:               int32(math.Round(alt * 1000)),
		Eph:               70,
		Epv:               100,
		Vel:               uint16(math.Round(v.vel.horizontalNorm() * 100)),
		Cog:               uint16(math.Round(cog*100)) % 36000,
		SatellitesVisible: 16,
		Yaw:               0,
	}
}

func (v *vehicle) vfrHUD() *common.MessageVfrHud {
	_, _, alt := v.reported()
	throttle := 0.0
	if v.armed {
		throttle = 50
		if v.landed {
			throttle = 0
		}
	}
	gs := v.vel.horizontalNorm()
	return &common.MessageVfrHud{
		Airspeed:    float32(gs),
		Groundspeed: float32(gs),
		Heading:     int16(v.headingCdeg() / 100),
		Throttle:    uint16(throttle),
		Alt:         float32(alt),
		Climb:       float32(-v.vel.d),
	}
}

func (v *vehicle) batteryStatus() *common.MessageBatteryStatus {
	var cells [10]uint16
	for i := range cells {
		cells[i] = math.MaxUint16
	}
	for i := 0; i < batteryCells; i++ {
		cells[i] = uint16(math.Round(v.battery.cellVoltage() * 1000))
	}
	var ext [4]uint16
	return &common.MessageBatteryStatus{
		Id:               0,
		BatteryFunction:  common.MAV_BATTERY_FUNCTION_ALL,
		Type:             common.MAV_BATTERY_TYPE_LIPO,
		Temperature:      math.MaxInt16,
		Voltages:         cells,
		CurrentBattery:   int16(math.Round(v.battery.current * 100)),
		CurrentConsumed:  int32(math.Round(v.battery.consumedMAh)),
		EnergyConsumed:   -1,
		BatteryRemaining: int8(math.Round(v.battery.remaining * 100)),
		ChargeState:      common.MAV_BATTERY_CHARGE_STATE_OK,
		VoltagesExt:      ext,
	}
}

func (v *vehicle) homePosition() *common.MessageHomePosition {
	h := v.home.pos
	lat, lon := v.origin.toGlobal(h.n, h.e)
	return &common.MessageHomePosition{
		Latitude:  int32(math.Round(lat * 1e7)),
		Longitude: int32(math.Round(lon * 1e7)),
		Altitude:  int32(math.Round((v.origin.alt - h.d) * 1000)),
		X:         float32(h.n),
		Y:         float32(h.e),
		Z:         float32(h.d),
		Q:         [4]float32{1, 0, 0, 0},
		TimeUsec:  uint64(v.now),
	}
}

func (v *vehicle) autopilotVersion() *common.MessageAutopilotVersion {
	return &common.MessageAutopilotVersion{
		Capabilities: common.MAV_PROTOCOL_CAPABILITY_MISSION_FLOAT |
			common.MAV_PROTOCOL_CAPABILITY_PARAM_FLOAT |
			common.MAV_PROTOCOL_CAPABILITY_MISSION_INT |
			common.MAV_PROTOCOL_CAPABILITY_COMMAND_INT |
			common.MAV_PROTOCOL_CAPABILITY_FTP |
			common.MAV_PROTOCOL_CAPABILITY_SET_ATTITUDE_TARGET |
			common.MAV_PROTOCOL_CAPABILITY_SET_POSITION_TARGET_LOCAL_NED |
			common.MAV_PROTOCOL_CAPABILITY_SET_POSITION_TARGET_GLOBAL_INT |
			common.MAV_PROTOCOL_CAPABILITY_MAVLINK2 |
			common.MAV_PROTOCOL_CAPABILITY_MISSION_FENCE |
			common.MAV_PROTOCOL_CAPABILITY_MISSION_RALLY,
		FlightSwVersion: flightSwVersion,
		VendorId:        0,
		ProductId:       0,
		Uid:             uint64(v.cfg.SystemID)<<32 | (v.cfg.Seed & 0xffffffff),
	}
}
