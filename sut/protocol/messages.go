package protocol

import (
	"errors"
	"fmt"
	"reflect"

	"github.com/wasmbed/wasmbed/sut/refusal"
)

// Type identifies a message. Numbers are part of the wire format: never
// reuse one.
type Type uint

// Message types. Requests and their responses share the envelope ID.
const (
	TypeEnrollRequest  Type = 1 // device → gateway, server-authenticated TLS
	TypeEnrollResponse Type = 2 // gateway → device
	TypeHello          Type = 3 // device → gateway, first message on mutual TLS
	TypeHelloAck       Type = 4
	TypeHeartbeat      Type = 5
	TypeHeartbeatAck   Type = 6
	TypeError          Type = 7 // either way; the sender closes after a fatal one

	TypeDeploy       Type = 10 // gateway → device: an app's spec
	TypeModuleChunk  Type = 11 // gateway → device: a slice of its module
	TypeDeployResult Type = 12 // device → gateway
	TypeStop         Type = 13 // gateway → device
	TypeStopResult   Type = 14 // device → gateway
	TypeAppStatus    Type = 15 // device → gateway, when an app changes state
	TypeAppPublish   Type = 16 // device → gateway: an app published on a topic
	TypeAppDeliver   Type = 17 // gateway → device: a message for subscribed apps

	TypeRenewRequest  Type = 20 // device → gateway on mutual TLS: a new CSR
	TypeRenewResponse Type = 21

	TypeVehicleCommand       Type = 30 // device → gateway: an app commands its vehicle
	TypeVehicleCommandResult Type = 31
)

// Message is implemented by every payload type.
type Message interface{ Type() Type }

var registry = map[Type]reflect.Type{}

func register(ms ...Message) {
	for _, m := range ms {
		registry[m.Type()] = reflect.TypeOf(m).Elem()
	}
}

func init() {
	register(&EnrollRequest{}, &EnrollResponse{}, &Hello{}, &HelloAck{}, &Heartbeat{}, &HeartbeatAck{}, &Error{},
		&Deploy{}, &ModuleChunk{}, &DeployResult{}, &Stop{}, &StopResult{}, &AppStatusReport{}, &AppPublish{}, &AppDeliver{},
		&RenewRequest{}, &RenewResponse{}, &VehicleCommand{}, &VehicleCommandResult{})
}

func (t Type) String() string {
	if rt, ok := registry[t]; ok {
		return rt.Name()
	}
	return fmt.Sprintf("Type(%d)", uint(t))
}

// DeviceInfo describes a device's hardware and runtime.
type DeviceInfo struct {
	Arch         string   `cbor:"1,keyasint"`
	Profile      string   `cbor:"2,keyasint,omitempty"`
	Firmware     string   `cbor:"3,keyasint,omitempty"`
	MemoryBytes  uint64   `cbor:"4,keyasint,omitempty"`
	WasmFeatures []string `cbor:"5,keyasint,omitempty"`
}

// EnrollRequest asks for a certificate. The device proves possession of
// its key by the CSR's signature; the gateway also checks that the CSR's
// key is the one the device's TLS client presented, if it presented one.
type EnrollRequest struct {
	// CSR is a PKCS#10 request in DER, signed with the device's Ed25519 key.
	CSR []byte `cbor:"1,keyasint"`
	// Token is the one-time enrolment token, "<id>.<secret>"; empty for a
	// pre-registered key.
	Token string `cbor:"2,keyasint,omitempty"`
	// Name is the device name the device asks for (token enrolment).
	Name string     `cbor:"3,keyasint,omitempty"`
	Info DeviceInfo `cbor:"4,keyasint"`
}

// EnrollResponse answers an EnrollRequest.
type EnrollResponse struct {
	Accepted bool `cbor:"1,keyasint"`
	// Reason is a stable code (see reasons.go) when refused.
	Reason  refusal.Reason `cbor:"2,keyasint,omitempty"`
	Message string         `cbor:"3,keyasint,omitempty"`
	// DeviceName is the Device object the device is.
	DeviceName string `cbor:"4,keyasint,omitempty"`
	// Certificate is the issued certificate, DER.
	Certificate []byte `cbor:"5,keyasint,omitempty"`
	// CABundle holds the CA certificates (DER) to trust from now on.
	CABundle [][]byte `cbor:"6,keyasint,omitempty"`
}

// Hello opens a session on mutual TLS.
type Hello struct {
	// Versions the device speaks.
	Versions []uint       `cbor:"1,keyasint"`
	Info     DeviceInfo   `cbor:"2,keyasint"`
	Apps     []AppStatus  `cbor:"3,keyasint,omitempty"`
	Health   DeviceHealth `cbor:"4,keyasint"`
}

// HelloAck accepts a session.
type HelloAck struct {
	Version              uint   `cbor:"1,keyasint"`
	DeviceName           string `cbor:"2,keyasint"`
	HeartbeatIntervalMs  uint64 `cbor:"3,keyasint"`
	HeartbeatTimeoutMs   uint64 `cbor:"4,keyasint"`
	RenewCertificate     bool   `cbor:"5,keyasint,omitempty"`
	ServerTimeUnixMillis int64  `cbor:"6,keyasint"`
}

// DeviceHealth is carried by Hello and every Heartbeat.
type DeviceHealth struct {
	UptimeMs        uint64 `cbor:"1,keyasint"`
	FreeMemoryBytes uint64 `cbor:"2,keyasint"`
}

// Heartbeat keeps a session alive and reports health.
type Heartbeat struct {
	Seq    uint64       `cbor:"1,keyasint"`
	Health DeviceHealth `cbor:"2,keyasint"`
	Apps   []AppStatus  `cbor:"3,keyasint,omitempty"`
}

// HeartbeatAck answers a Heartbeat.
type HeartbeatAck struct {
	Seq uint64 `cbor:"1,keyasint"`
}

// Error reports a refusal. Code is stable (see reasons.go).
type Error struct {
	Code    refusal.Reason `cbor:"1,keyasint"`
	Message string         `cbor:"2,keyasint,omitempty"`
	Fatal   bool           `cbor:"3,keyasint,omitempty"`
}

func (e *Error) Error() string { return string(e.Code) + ": " + e.Message }

// AppStatus is one app as its device reports it.
type AppStatus struct {
	Name     string `cbor:"1,keyasint"`
	Digest   string `cbor:"2,keyasint,omitempty"`
	State    string `cbor:"3,keyasint"`
	Restarts uint32 `cbor:"4,keyasint,omitempty"`
	// Reason is the stable code of the app's last failure (sut/abi).
	Reason      refusal.Reason `cbor:"5,keyasint,omitempty"`
	LastError   string         `cbor:"6,keyasint,omitempty"`
	MemoryBytes uint64         `cbor:"7,keyasint,omitempty"`
}

// AppLimits bound an app instance.
type AppLimits struct {
	MaxMemoryPages uint32 `cbor:"1,keyasint,omitempty"`
	MaxExecutionMs uint64 `cbor:"2,keyasint,omitempty"`
	MaxRestarts    uint32 `cbor:"3,keyasint,omitempty"`
}

// AppCapabilities are the host functions an app may import.
type AppCapabilities struct {
	Log       bool     `cbor:"1,keyasint,omitempty"`
	Clock     bool     `cbor:"2,keyasint,omitempty"`
	KV        bool     `cbor:"3,keyasint,omitempty"`
	WASI      bool     `cbor:"4,keyasint,omitempty"`
	Publish   []string `cbor:"5,keyasint,omitempty"`
	Subscribe []string `cbor:"6,keyasint,omitempty"`
	MAVLink   []string `cbor:"7,keyasint,omitempty"`
}

// Deploy announces an app; its module follows in ModuleChunks.
type Deploy struct {
	App           string            `cbor:"1,keyasint"`
	Digest        string            `cbor:"2,keyasint"`
	Size          uint32            `cbor:"3,keyasint"`
	Chunks        uint32            `cbor:"4,keyasint"`
	Limits        AppLimits         `cbor:"5,keyasint"`
	Capabilities  AppCapabilities   `cbor:"6,keyasint"`
	Env           map[string]string `cbor:"7,keyasint,omitempty"`
	Args          []string          `cbor:"8,keyasint,omitempty"`
	Config        map[string]string `cbor:"9,keyasint,omitempty"`
	RestartPolicy string            `cbor:"10,keyasint,omitempty"`
	// Signature is an Ed25519 signature over the raw sha256 digest.
	Signature []byte `cbor:"11,keyasint,omitempty"`
	// TrustedKeys are extra signer keys the gateway vouches for
	// (base64url SPKI), from the Gateway and Device specs.
	TrustedKeys []string `cbor:"12,keyasint,omitempty"`
	// RequireSigned makes the device refuse the module without a valid
	// signature.
	RequireSigned bool `cbor:"13,keyasint,omitempty"`
}

// ModuleChunk is a slice of a module being deployed.
type ModuleChunk struct {
	App    string `cbor:"1,keyasint"`
	Digest string `cbor:"2,keyasint"`
	Index  uint32 `cbor:"3,keyasint"`
	Data   []byte `cbor:"4,keyasint"`
}

// DeployResult reports the outcome of a Deploy.
type DeployResult struct {
	App     string         `cbor:"1,keyasint"`
	Digest  string         `cbor:"2,keyasint"`
	OK      bool           `cbor:"3,keyasint"`
	Reason  refusal.Reason `cbor:"4,keyasint,omitempty"`
	Message string         `cbor:"5,keyasint,omitempty"`
}

// Stop removes an app from the device.
type Stop struct {
	App string `cbor:"1,keyasint"`
}

// StopResult reports the outcome of a Stop.
type StopResult struct {
	App     string `cbor:"1,keyasint"`
	OK      bool   `cbor:"2,keyasint"`
	Message string `cbor:"3,keyasint,omitempty"`
}

// AppStatusReport pushes app state changes between heartbeats.
type AppStatusReport struct {
	Apps []AppStatus `cbor:"1,keyasint"`
}

// AppPublish carries a message an app published.
type AppPublish struct {
	App   string `cbor:"1,keyasint"`
	Topic string `cbor:"2,keyasint"`
	Data  []byte `cbor:"3,keyasint"`
}

// AppDeliver carries a message to the device's subscribed apps.
type AppDeliver struct {
	Topic string `cbor:"1,keyasint"`
	Data  []byte `cbor:"2,keyasint"`
}

// RenewRequest asks for a fresh certificate for the same key, e.g. after a
// CA rotation.
type RenewRequest struct {
	CSR []byte `cbor:"1,keyasint"`
}

// RenewResponse carries the renewed certificate.
type RenewResponse struct {
	OK          bool           `cbor:"1,keyasint"`
	Reason      refusal.Reason `cbor:"2,keyasint,omitempty"`
	Certificate []byte         `cbor:"3,keyasint,omitempty"`
	CABundle    [][]byte       `cbor:"4,keyasint,omitempty"`
}

// VehicleCommand is an app's command to the vehicle its device flies.
type VehicleCommand struct {
	App     string `cbor:"1,keyasint"`
	Command string `cbor:"2,keyasint"`
	// Params are the command's arguments: takeoff altitude in metres above
	// home, or the mode name for set_mode.
	Param float64 `cbor:"3,keyasint,omitempty"`
	Mode  string  `cbor:"4,keyasint,omitempty"`
}

// VehicleCommandResult is the autopilot's (or the gateway's) answer.
type VehicleCommandResult struct {
	Result  string `cbor:"1,keyasint"`
	Message string `cbor:"2,keyasint,omitempty"`
}

func (*EnrollRequest) Type() Type        { return TypeEnrollRequest }
func (*EnrollResponse) Type() Type       { return TypeEnrollResponse }
func (*Hello) Type() Type                { return TypeHello }
func (*HelloAck) Type() Type             { return TypeHelloAck }
func (*Heartbeat) Type() Type            { return TypeHeartbeat }
func (*HeartbeatAck) Type() Type         { return TypeHeartbeatAck }
func (*Error) Type() Type                { return TypeError }
func (*Deploy) Type() Type               { return TypeDeploy }
func (*ModuleChunk) Type() Type          { return TypeModuleChunk }
func (*DeployResult) Type() Type         { return TypeDeployResult }
func (*Stop) Type() Type                 { return TypeStop }
func (*StopResult) Type() Type           { return TypeStopResult }
func (*AppStatusReport) Type() Type      { return TypeAppStatus }
func (*AppPublish) Type() Type           { return TypeAppPublish }
func (*AppDeliver) Type() Type           { return TypeAppDeliver }
func (*RenewRequest) Type() Type         { return TypeRenewRequest }
func (*RenewResponse) Type() Type        { return TypeRenewResponse }
func (*VehicleCommand) Type() Type       { return TypeVehicleCommand }
func (*VehicleCommandResult) Type() Type { return TypeVehicleCommandResult }

// Field limits checked at decode, beyond the CBOR-level ones.
const (
	maxNameLen  = 253
	maxCSRLen   = 2048
	maxTokenLen = 128
)

func (m *EnrollRequest) validate() error {
	switch {
	case len(m.CSR) == 0:
		return errors.New("empty CSR")
	case len(m.CSR) > maxCSRLen:
		return fmt.Errorf("CSR of %d bytes exceeds %d", len(m.CSR), maxCSRLen)
	case len(m.Token) > maxTokenLen:
		return errors.New("token too long")
	case len(m.Name) > maxNameLen:
		return errors.New("name too long")
	}
	return nil
}

func (m *ModuleChunk) validate() error {
	if len(m.Data) > ChunkSize {
		return fmt.Errorf("chunk of %d bytes exceeds %d", len(m.Data), ChunkSize)
	}
	return nil
}

func (m *Deploy) validate() error {
	if m.App == "" || len(m.App) > maxNameLen {
		return errors.New("bad app name")
	}
	if uint64(m.Chunks)*ChunkSize < uint64(m.Size) {
		return fmt.Errorf("%d chunks cannot hold %d bytes", m.Chunks, m.Size)
	}
	return nil
}
