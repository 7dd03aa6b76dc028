package v1alpha1

import (
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// DevicePhase is the lifecycle phase of a Device.
// +kubebuilder:validation:Enum=Pending;Enrolling;Enrolled;Connected;Disconnected;Unreachable
type DevicePhase string

// Device phases. A device moves Pending → Enrolling → Enrolled → Connected,
// then between Connected and Disconnected as its link comes and goes.
// Unreachable means its gateway stopped renewing its Lease, so nobody can say
// whether the device is still up.
const (
	DevicePending      DevicePhase = "Pending"
	DeviceEnrolling    DevicePhase = "Enrolling"
	DeviceEnrolled     DevicePhase = "Enrolled"
	DeviceConnected    DevicePhase = "Connected"
	DeviceDisconnected DevicePhase = "Disconnected"
	DeviceUnreachable  DevicePhase = "Unreachable"
)

// Arch is a device's instruction-set architecture.
// +kubebuilder:validation:Enum=arm64;riscv64;x86_64;xtensa
type Arch string

// Supported architectures. xtensa stands for the ESP32 class, which runs
// only as a simulated process device (Debian ships no QEMU for it).
const (
	ArchARM64   Arch = "arm64"
	ArchRISCV64 Arch = "riscv64"
	ArchX86_64  Arch = "x86_64"
	ArchXtensa  Arch = "xtensa"
)

// EnrollmentMethod says how a device proves it may join.
// +kubebuilder:validation:Enum=Token;PreRegistered
type EnrollmentMethod string

const (
	// EnrollByToken enrols with a one-time token kept in a Secret.
	EnrollByToken EnrollmentMethod = "Token"
	// EnrollPreRegistered enrols a key an operator registered in advance by
	// creating the Device.
	EnrollPreRegistered EnrollmentMethod = "PreRegistered"
)

// FailsafeAction is what the gateway commands a flying vehicle to do when the
// device driving it disconnects.
// +kubebuilder:validation:Enum=RTL;Land
type FailsafeAction string

const (
	FailsafeRTL  FailsafeAction = "RTL"
	FailsafeLand FailsafeAction = "Land"
)

// DeviceSpec is the operator's description of a device.
// +kubebuilder:validation:XValidation:rule="self.enrollment.method == 'PreRegistered' || has(self.enrollment.tokenSecretRef)",message="enrollment.tokenSecretRef is required when enrollment.method is Token"
type DeviceSpec struct {
	// PublicKey is the device's Ed25519 public key as base64url without
	// padding of its SubjectPublicKeyInfo DER (44 bytes, so 59 characters,
	// always starting "MCowBQYDK2VwAyEA"). It is the device's identity: the
	// gateway matches the SPKI of the client certificate against it. A
	// gateway changes it only when a factory-reset device enrols with a
	// fresh token bound to this Device's name.
	// +kubebuilder:validation:MinLength=59
	// +kubebuilder:validation:MaxLength=59
	// +kubebuilder:validation:Pattern=`^MCowBQYDK2VwAyEA[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]$`
	PublicKey string `json:"publicKey"`

	// Arch is the instruction-set architecture of the device.
	Arch Arch `json:"arch"`

	// Profile names the hardware profile, e.g. arm64-virt, riscv64-virt,
	// x86_64-microvm, process or esp32-sim.
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([a-z0-9_-]{0,61}[a-z0-9])?$`
	// +optional
	Profile string `json:"profile,omitempty"`

	// Capabilities describe what the device can run.
	// +optional
	Capabilities DeviceCapabilities `json:"capabilities,omitempty"`

	// GatewayRef pins the device to one Gateway in the same namespace. Other
	// gateways refuse it.
	// +optional
	GatewayRef *LocalObjectReference `json:"gatewayRef,omitempty"`

	// Enrollment says how the device enrols.
	Enrollment DeviceEnrollment `json:"enrollment"`

	// Revoked refuses the device at the TLS handshake and adds its
	// certificate to the CA's revocation list.
	// +optional
	Revoked bool `json:"revoked,omitempty"`

	// Failsafe is the action the gateway commands the device's vehicle to
	// take when the device disconnects mid-flight.
	// +kubebuilder:default=RTL
	// +optional
	Failsafe FailsafeAction `json:"failsafe,omitempty"`
}

// DeviceEnrollment says how a device enrols.
type DeviceEnrollment struct {
	// Method is Token or PreRegistered.
	Method EnrollmentMethod `json:"method"`

	// TokenSecretRef names the one-time token Secret the device enrolled
	// with. The gateway fills it in when it creates a Device from a token.
	// +optional
	TokenSecretRef *LocalObjectReference `json:"tokenSecretRef,omitempty"`
}

// DeviceCapabilities describe what a device can run.
type DeviceCapabilities struct {
	// Memory is the RAM available to WebAssembly apps.
	// +optional
	Memory *resource.Quantity `json:"memory,omitempty"`

	// WasmFeatures lists the WebAssembly proposals the device's runtime
	// supports. Empty means the WebAssembly 2.0 core set.
	// +listType=set
	// +optional
	WasmFeatures []WasmFeature `json:"wasmFeatures,omitempty"`

	// RequireSignedModules makes the device refuse any module without a valid
	// signature by one of TrustedModuleKeys.
	// +optional
	RequireSignedModules bool `json:"requireSignedModules,omitempty"`

	// TrustedModuleKeys are Ed25519 public keys (base64url SPKI, like
	// publicKey) whose module signatures the device accepts.
	// +kubebuilder:validation:MaxItems=8
	// +kubebuilder:validation:items:Pattern=`^MCowBQYDK2VwAyEA[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]$`
	// +listType=set
	// +optional
	TrustedModuleKeys []string `json:"trustedModuleKeys,omitempty"`

	// MAVLink names the vehicle this device flies, if any.
	// +optional
	MAVLink *MAVLinkEndpoint `json:"mavlink,omitempty"`
}

// WasmFeature is a WebAssembly proposal a runtime may support.
// +kubebuilder:validation:Enum=mutable-global;sign-extension-ops;nontrapping-float-to-int;multi-value;bulk-memory;reference-types;simd
type WasmFeature string

// MAVLinkEndpoint is where the gateway reaches a vehicle's autopilot.
type MAVLinkEndpoint struct {
	// Endpoint is the autopilot's MAVLink address, as udp://host:port (the
	// gateway sends there and listens on an ephemeral port) or
	// udp-listen://host:port (the gateway listens and the autopilot sends).
	// +kubebuilder:validation:Pattern=`^udp(-listen)?://[^/\s]+:[0-9]{1,5}$`
	Endpoint string `json:"endpoint"`

	// SystemID is the vehicle's MAVLink system id.
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=254
	SystemID int32 `json:"systemID"`
}

// LocalObjectReference names an object in the same namespace.
type LocalObjectReference struct {
	// Name of the object.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Name string `json:"name"`
}

// DeviceStatus is what the system observed about a device.
type DeviceStatus struct {
	// Phase is the device's lifecycle phase.
	// +optional
	Phase DevicePhase `json:"phase,omitempty"`

	// Gateway is the name of the Gateway the device is, or was last,
	// connected to.
	// +optional
	Gateway string `json:"gateway,omitempty"`

	// ConnectedSince is when the current session started.
	// +optional
	ConnectedSince *metav1.Time `json:"connectedSince,omitempty"`

	// LastHeartbeat is the last heartbeat the gateway recorded. Writes are
	// coalesced, so it advances at the gateway's status flush interval, not
	// at every heartbeat.
	// +optional
	LastHeartbeat *metav1.Time `json:"lastHeartbeat,omitempty"`

	// Certificate describes the certificate issued to the device.
	// +optional
	Certificate *CertificateStatus `json:"certificate,omitempty"`

	// Health is the device's last reported health.
	// +optional
	Health *DeviceHealth `json:"health,omitempty"`

	// Apps are the apps the device reports, running or not.
	// +listType=map
	// +listMapKey=name
	// +optional
	Apps []DeviceAppStatus `json:"apps,omitempty"`

	// ObservedGeneration is the spec generation the status reflects.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// Conditions: Enrolled, Connected.
	// +listType=map
	// +listMapKey=type
	// +optional
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}

// CertificateStatus describes an issued certificate.
type CertificateStatus struct {
	// SerialNumber in hexadecimal.
	SerialNumber string `json:"serialNumber"`
	// NotAfter is when the certificate expires.
	NotAfter metav1.Time `json:"notAfter"`
	// IssuerKeyID is the hex key id of the CA that signed it.
	// +optional
	IssuerKeyID string `json:"issuerKeyID,omitempty"`
}

// DeviceHealth is the health a device reports with its heartbeats.
type DeviceHealth struct {
	// UptimeSeconds since the device booted.
	UptimeSeconds int64 `json:"uptimeSeconds"`
	// FreeMemoryBytes available to apps.
	FreeMemoryBytes int64 `json:"freeMemoryBytes"`
	// FirmwareVersion of the device agent.
	// +optional
	FirmwareVersion string `json:"firmwareVersion,omitempty"`
}

// AppState is the state of one app on one device.
// +kubebuilder:validation:Enum=Pending;Installing;Running;Backoff;Failed;Stopped
type AppState string

// App states on a device.
const (
	AppPending    AppState = "Pending"
	AppInstalling AppState = "Installing"
	AppRunning    AppState = "Running"
	AppBackoff    AppState = "Backoff"
	AppFailed     AppState = "Failed"
	AppStopped    AppState = "Stopped"
)

// DeviceAppStatus is one app as its device reports it.
type DeviceAppStatus struct {
	// Name is the Application's name.
	Name string `json:"name"`
	// Digest is the sha256 of the module the device runs.
	// +optional
	Digest string `json:"digest,omitempty"`
	// State of the app on the device.
	State AppState `json:"state"`
	// Restarts counts restarts after crashes.
	// +optional
	Restarts int32 `json:"restarts,omitempty"`
	// Reason is a stable code for the last failure, e.g. Timeout,
	// MemoryLimit, Trap, UnknownImport, InvalidModule.
	// +optional
	Reason string `json:"reason,omitempty"`
	// LastError is the last failure's message, e.g. the trap.
	// +optional
	LastError string `json:"lastError,omitempty"`
	// MemoryBytes is the app's linear memory in use.
	// +optional
	MemoryBytes int64 `json:"memoryBytes,omitempty"`
}

// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=dev
// +kubebuilder:selectablefield:JSONPath=`.spec.publicKey`
// +kubebuilder:printcolumn:name="Phase",type=string,JSONPath=`.status.phase`
// +kubebuilder:printcolumn:name="Gateway",type=string,JSONPath=`.status.gateway`
// +kubebuilder:printcolumn:name="Arch",type=string,JSONPath=`.spec.arch`
// +kubebuilder:printcolumn:name="Last-Heartbeat",type=date,JSONPath=`.status.lastHeartbeat`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`

// Device is an edge device that runs WebAssembly apps.
type Device struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   DeviceSpec   `json:"spec"`
	Status DeviceStatus `json:"status,omitempty"`
}

// +kubebuilder:object:root=true

// DeviceList is a list of Devices.
type DeviceList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []Device `json:"items"`
}

func init() {
	SchemeBuilder.Register(&Device{}, &DeviceList{})
}
