package refusal

// The gateway's refusal stages, in the order a device meets them.
const (
	// StageConnection: at accept, before TLS (connection cap, a source
	// over its enrolment rate).
	StageConnection Stage = "connection"
	// StageHandshake: in the TLS handshake (version, cipher suites, the
	// client certificate).
	StageHandshake Stage = "handshake"
	// StageFrame: a frame or message that does not decode.
	StageFrame Stage = "frame"
	// StageEnrollment: an enrolment request, or a bootstrap connection
	// that sends none.
	StageEnrollment Stage = "enrollment"
	// StageSession: opening or holding a session (Hello, a message out of
	// place, a certificate renewal).
	StageSession Stage = "session"
	// StageDeploy: the gateway or the device refused to install a module;
	// the gateway writes the reason to Device and Application status.
	StageDeploy Stage = "deploy"
	// StageApp: the device reports an app that failed while it ran (a
	// Reason from sut/abi).
	StageApp Stage = "app"
	// StagePublish: an app published where it may not (the reserved
	// vehicle/ topics).
	StagePublish Stage = "publish"
	// StageVehicle: the gateway refused an app's vehicle command, or the
	// autopilot did not accept it (the reason is the command's result).
	StageVehicle Stage = "vehicle"
)

// Stages lists every stage, in the order above.
func Stages() []Stage {
	return []Stage{StageConnection, StageHandshake, StageFrame, StageEnrollment, StageSession,
		StageDeploy, StageApp, StagePublish, StageVehicle}
}
