package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// MaxInlineModuleBytes caps spec.module.inline. It keeps an Application well
// under etcd's 1.5 MiB object limit even with a large status; bigger modules
// go in a ConfigMap or Secret and are referenced with their digest.
const MaxInlineModuleBytes = 256 * 1024

// ApplicationPhase summarises an Application across its target devices.
// +kubebuilder:validation:Enum=Pending;Deploying;Running;PartiallyRunning;Failed;Stopped
type ApplicationPhase string

// Application phases.
const (
	AppPhasePending          ApplicationPhase = "Pending"
	AppPhaseDeploying        ApplicationPhase = "Deploying"
	AppPhaseRunning          ApplicationPhase = "Running"
	AppPhasePartiallyRunning ApplicationPhase = "PartiallyRunning"
	AppPhaseFailed           ApplicationPhase = "Failed"
	AppPhaseStopped          ApplicationPhase = "Stopped"
)

// RestartPolicy says when a device restarts an app that exited or crashed.
// +kubebuilder:validation:Enum=Always;OnFailure;Never
type RestartPolicy string

// Restart policies, as for Pods.
const (
	RestartAlways    RestartPolicy = "Always"
	RestartOnFailure RestartPolicy = "OnFailure"
	RestartNever     RestartPolicy = "Never"
)

// ApplicationSpec is a WebAssembly app and where it should run.
// +kubebuilder:validation:XValidation:rule="has(self.selector) || (has(self.devices) && size(self.devices) > 0)",message="set selector and/or devices to choose target devices"
type ApplicationSpec struct {
	// Module is the WebAssembly binary.
	Module ModuleSource `json:"module"`

	// Selector selects target devices by label. Devices listed in Devices
	// are targeted as well.
	// +optional
	Selector *metav1.LabelSelector `json:"selector,omitempty"`

	// Devices names target devices.
	// +kubebuilder:validation:MaxItems=10000
	// +kubebuilder:validation:items:MaxLength=253
	// +listType=set
	// +optional
	Devices []string `json:"devices,omitempty"`

	// Limits bound each instance of the app.
	// +optional
	Limits AppLimits `json:"limits,omitempty"`

	// Args are passed to the app as WASI arguments or through the wasmbed
	// ABI's device info.
	// +kubebuilder:validation:MaxItems=64
	// +optional
	Args []string `json:"args,omitempty"`

	// Env sets environment variables visible to the app.
	// +kubebuilder:validation:MaxItems=64
	// +listType=map
	// +listMapKey=name
	// +optional
	Env []EnvVar `json:"env,omitempty"`

	// Config is key-value configuration the app reads through the ABI.
	// +kubebuilder:validation:MaxProperties=64
	// +optional
	Config map[string]string `json:"config,omitempty"`

	// Capabilities are the host capabilities the app may use. Imports beyond
	// them are refused when the module is instantiated.
	// +optional
	Capabilities AppCapabilities `json:"capabilities,omitempty"`

	// RestartPolicy says when a crashed or exited app restarts.
	// +kubebuilder:default=Always
	// +optional
	RestartPolicy RestartPolicy `json:"restartPolicy,omitempty"`
}

// ModuleSource is exactly one of an inline module, a ConfigMap key or a Secret key.
// +kubebuilder:validation:XValidation:rule="[has(self.inline), has(self.configMapRef), has(self.secretRef)].filter(x, x).size() == 1",message="set exactly one module source: inline, configMapRef or secretRef"
// +kubebuilder:validation:XValidation:rule="has(self.inline) || has(self.sha256)",message="sha256 is required when the module comes from a configMapRef or secretRef"
type ModuleSource struct {
	// Inline is the module itself, base64-encoded in JSON, at most 256 KiB
	// (349528 base64 characters).
	//
	// The schema declares a plain string rather than format "byte": the
	// API server's CEL library fails to decode some valid standard base64
	// ("illegal base64 data"), and it would evaluate every rule of this
	// object through that decoding. Go clients still get []byte.
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:Format=""
	// +kubebuilder:validation:Pattern=`^[A-Za-z0-9+/]*={0,2}$`
	// +kubebuilder:validation:XValidation:rule="size(self) / 4 * 3 - (self.endsWith('==') ? 2 : (self.endsWith('=') ? 1 : 0)) <= 262144",message="inline module is larger than 256 KiB: put it in a ConfigMap or Secret and reference it with its sha256"
	// +optional
	Inline []byte `json:"inline,omitempty"`

	// ConfigMapRef points at a binaryData key holding the module.
	// +optional
	ConfigMapRef *KeyReference `json:"configMapRef,omitempty"`

	// SecretRef points at a data key holding the module.
	// +optional
	SecretRef *KeyReference `json:"secretRef,omitempty"`

	// SHA256 is the hex digest of the module. Required for references, where
	// it pins the content; checked against inline modules when set.
	// +kubebuilder:validation:Pattern=`^[a-f0-9]{64}$`
	// +optional
	SHA256 string `json:"sha256,omitempty"`

	// Signature is a base64 Ed25519 signature over the module's sha256
	// digest (the 32 raw bytes). Devices that require signed modules check it
	// against their trusted keys.
	// +kubebuilder:validation:MaxLength=128
	// +optional
	Signature string `json:"signature,omitempty"`
}

// KeyReference names one key of a ConfigMap or Secret in the same namespace.
type KeyReference struct {
	// Name of the ConfigMap or Secret.
	// +kubebuilder:validation:MinLength=1
	Name string `json:"name"`
	// Key within it.
	// +kubebuilder:validation:MinLength=1
	Key string `json:"key"`
}

// AppLimits bound one instance of an app on a device.
type AppLimits struct {
	// MaxMemoryPages caps linear memory in 64 KiB pages.
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=65536
	// +kubebuilder:default=16
	// +optional
	MaxMemoryPages int32 `json:"maxMemoryPages,omitempty"`

	// MaxExecutionTime caps each call into the app, e.g. "100ms". A call
	// that runs longer is aborted and counts as a failure.
	// +kubebuilder:default="1s"
	// +optional
	MaxExecutionTime *metav1.Duration `json:"maxExecutionTime,omitempty"`

	// MaxRestarts is how many times a failing app is restarted, with
	// exponential backoff, before it is left Failed.
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=1000
	// +kubebuilder:default=5
	// +optional
	MaxRestarts *int32 `json:"maxRestarts,omitempty"`
}

// EnvVar is one environment variable.
type EnvVar struct {
	// Name of the variable.
	// +kubebuilder:validation:Pattern=`^[A-Za-z_][A-Za-z0-9_]*$`
	Name string `json:"name"`
	// Value of the variable.
	// +optional
	Value string `json:"value,omitempty"`
}

// AppCapabilities are the host functions an app may import.
type AppCapabilities struct {
	// Log grants wasmbed.log.
	// +optional
	Log bool `json:"log,omitempty"`
	// Clock grants wasmbed.clock_ms and wasmbed.sleep_ms.
	// +optional
	Clock bool `json:"clock,omitempty"`
	// KV grants the wasmbed.kv_* key-value store.
	// +optional
	KV bool `json:"kv,omitempty"`
	// WASI grants WASI preview1 (no filesystem unless a preopen is added by
	// the device, which Wasmbed never does).
	// +optional
	WASI bool `json:"wasi,omitempty"`
	// Publish lists the pub/sub topics the app may publish to.
	// +listType=set
	// +optional
	Publish []string `json:"publish,omitempty"`
	// Subscribe lists the topics delivered to the app's on_message export.
	// +listType=set
	// +optional
	Subscribe []string `json:"subscribe,omitempty"`
	// MAVLink lists the vehicle commands the app may send (arm, disarm,
	// takeoff, land, rtl, set_mode).
	// +listType=set
	// +optional
	MAVLink []MAVLinkCommand `json:"mavlink,omitempty"`
}

// MAVLinkCommand is a vehicle command an app may be allowed to send.
// +kubebuilder:validation:Enum=arm;disarm;takeoff;land;rtl;set_mode
type MAVLinkCommand string

// ApplicationStatus is the observed rollout of an Application.
type ApplicationStatus struct {
	// Phase summarises the rollout.
	// +optional
	Phase ApplicationPhase `json:"phase,omitempty"`

	// ObservedGeneration is the spec generation the status reflects. The
	// gateways roll out ModuleDigest only once it matches metadata.generation.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// ModuleDigest is the verified sha256 of the module being rolled out.
	// +optional
	ModuleDigest string `json:"moduleDigest,omitempty"`

	// ModuleSize is the module's size in bytes.
	// +optional
	ModuleSize int64 `json:"moduleSize,omitempty"`

	// Devices is the assignment: one entry per target device, with the
	// state its device reports. Gateways deploy to exactly these devices.
	// +listType=map
	// +listMapKey=name
	// +optional
	Devices []ApplicationDeviceStatus `json:"devices,omitempty"`

	// Counts of target devices by state.
	// +optional
	Counts ApplicationCounts `json:"counts,omitempty"`

	// Conditions: Resolved (module found and verified), Scheduled, Ready.
	// +listType=map
	// +listMapKey=type
	// +optional
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}

// ApplicationDeviceStatus is the app on one target device.
type ApplicationDeviceStatus struct {
	// Name of the Device.
	Name string `json:"name"`
	// State the device reports for the app; Pending until it reports one.
	State AppState `json:"state"`
	// Digest the device runs.
	// +optional
	Digest string `json:"digest,omitempty"`
	// Restarts after crashes.
	// +optional
	Restarts int32 `json:"restarts,omitempty"`
	// Reason is the stable code of the last failure.
	// +optional
	Reason string `json:"reason,omitempty"`
	// Message explains the last failure.
	// +optional
	Message string `json:"message,omitempty"`
}

// ApplicationCounts counts target devices by state.
type ApplicationCounts struct {
	Targeted int32 `json:"targeted"`
	Running  int32 `json:"running"`
	Pending  int32 `json:"pending"`
	Failed   int32 `json:"failed"`
}

// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=app;apps
// +kubebuilder:printcolumn:name="Phase",type=string,JSONPath=`.status.phase`
// +kubebuilder:printcolumn:name="Targeted",type=integer,JSONPath=`.status.counts.targeted`
// +kubebuilder:printcolumn:name="Running",type=integer,JSONPath=`.status.counts.running`
// +kubebuilder:printcolumn:name="Failed",type=integer,JSONPath=`.status.counts.failed`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`

// Application is a WebAssembly app deployed to a set of devices.
type Application struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   ApplicationSpec   `json:"spec"`
	Status ApplicationStatus `json:"status,omitempty"`
}

// +kubebuilder:object:root=true

// ApplicationList is a list of Applications.
type ApplicationList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []Application `json:"items"`
}

func init() {
	SchemeBuilder.Register(&Application{}, &ApplicationList{})
}
