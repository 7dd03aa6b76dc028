package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// EnrollmentMode says who approves an enrollment.
// +kubebuilder:validation:Enum=Auto;Manual
type EnrollmentMode string

const (
	// EnrollAuto lets the controller approve every valid request.
	EnrollAuto EnrollmentMode = "Auto"
	// EnrollManual waits for an operator to set the annotation
	// wasmbed.io/approved=true on the Device.
	EnrollManual EnrollmentMode = "Manual"
)

// GatewaySpec configures a gateway process.
// +kubebuilder:validation:XValidation:rule="!has(self.heartbeatTimeout) || !has(self.heartbeatInterval) || duration(self.heartbeatTimeout) > duration(self.heartbeatInterval)",message="heartbeatTimeout must be longer than heartbeatInterval"
type GatewaySpec struct {
	// Endpoint is the host:port devices dial.
	// +kubebuilder:validation:Pattern=`^[^\s/]+:[0-9]{1,5}$`
	Endpoint string `json:"endpoint"`

	// Capacity is the most devices the gateway serves at once. Further
	// connections are refused.
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:default=10000
	// +optional
	Capacity int32 `json:"capacity,omitempty"`

	// HeartbeatInterval is how often devices heartbeat.
	// +kubebuilder:default="10s"
	// +optional
	HeartbeatInterval *metav1.Duration `json:"heartbeatInterval,omitempty"`

	// HeartbeatTimeout is how long a silent session lives. A device is
	// Disconnected at most HeartbeatTimeout + HeartbeatInterval after it
	// stops.
	// +kubebuilder:default="30s"
	// +optional
	HeartbeatTimeout *metav1.Duration `json:"heartbeatTimeout,omitempty"`

	// StatusFlushInterval bounds how often a device's lastHeartbeat is
	// written. Phase changes are written at once; heartbeats are coalesced.
	// +kubebuilder:default="60s"
	// +optional
	StatusFlushInterval *metav1.Duration `json:"statusFlushInterval,omitempty"`

	// UnreachableGracePeriod is how long after the gateway's Lease expires
	// its devices become Unreachable.
	// +kubebuilder:default="40s"
	// +optional
	UnreachableGracePeriod *metav1.Duration `json:"unreachableGracePeriod,omitempty"`

	// Enrollment is the enrollment policy.
	// +optional
	Enrollment EnrollmentPolicy `json:"enrollment,omitempty"`

	// TrustedModuleKeys are Ed25519 keys (base64url SPKI) whose module
	// signatures this gateway's devices accept, in addition to their own.
	// +kubebuilder:validation:MaxItems=8
	// +kubebuilder:validation:items:Pattern=`^MCowBQYDK2VwAyEA[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]$`
	// +listType=set
	// +optional
	TrustedModuleKeys []string `json:"trustedModuleKeys,omitempty"`
}

// EnrollmentPolicy governs which enrollments a gateway accepts.
type EnrollmentPolicy struct {
	// Mode is Auto or Manual.
	// +kubebuilder:default=Auto
	// +optional
	Mode EnrollmentMode `json:"mode,omitempty"`

	// AllowTokens accepts one-time tokens.
	// +kubebuilder:default=true
	// +optional
	AllowTokens *bool `json:"allowTokens,omitempty"`

	// AllowPreRegistered accepts keys of operator-created Devices.
	// +kubebuilder:default=true
	// +optional
	AllowPreRegistered *bool `json:"allowPreRegistered,omitempty"`

	// MaxPerSourcePerMinute rate-limits enrollment attempts per source
	// address.
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:default=600
	// +optional
	MaxPerSourcePerMinute int32 `json:"maxPerSourcePerMinute,omitempty"`

	// CertificateValidity is the lifetime of issued device certificates.
	// +kubebuilder:default="720h"
	// +optional
	CertificateValidity *metav1.Duration `json:"certificateValidity,omitempty"`
}

// GatewayStatus is the observed state of a gateway.
type GatewayStatus struct {
	// ConnectedDevices is the number of live device sessions.
	// +optional
	ConnectedDevices int32 `json:"connectedDevices"`

	// ObservedGeneration is the spec generation the gateway runs with.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// Conditions: Ready, Live (its Lease is being renewed).
	// +listType=map
	// +listMapKey=type
	// +optional
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}

// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=gw
// +kubebuilder:printcolumn:name="Endpoint",type=string,JSONPath=`.spec.endpoint`
// +kubebuilder:printcolumn:name="Connected",type=integer,JSONPath=`.status.connectedDevices`
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`

// Gateway is a device-facing endpoint of Wasmbed.
type Gateway struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   GatewaySpec   `json:"spec"`
	Status GatewayStatus `json:"status,omitempty"`
}

// +kubebuilder:object:root=true

// GatewayList is a list of Gateways.
type GatewayList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []Gateway `json:"items"`
}

func init() {
	SchemeBuilder.Register(&Gateway{}, &GatewayList{})
}
