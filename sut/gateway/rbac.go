package gateway

// The gateway's permissions, generated into sut/config/rbac/gateway by
// `make generate`. They are bound per namespace: a gateway sees only the
// namespace it serves.
//
// +kubebuilder:rbac:groups=wasmbed.io,resources=devices,verbs=get;list;watch;create;update;patch
// +kubebuilder:rbac:groups=wasmbed.io,resources=devices/status,verbs=get;patch
// +kubebuilder:rbac:groups=wasmbed.io,resources=applications,verbs=get;list;watch
// +kubebuilder:rbac:groups=wasmbed.io,resources=gateways,verbs=get;list;watch
// +kubebuilder:rbac:groups=wasmbed.io,resources=gateways/status,verbs=get;patch
// +kubebuilder:rbac:groups="",resources=secrets,verbs=get;list;watch;create;update
// +kubebuilder:rbac:groups="",resources=configmaps,verbs=get
// +kubebuilder:rbac:groups=coordination.k8s.io,resources=leases,verbs=get;create;update
// +kubebuilder:rbac:groups="",resources=events,verbs=create;patch
