package controller

// Permissions of the controller beyond those on its reconcilers, generated
// into sut/config/rbac/controller by `make generate`.
//
// +kubebuilder:rbac:groups=coordination.k8s.io,resources=leases,verbs=get;list;watch;create;update;patch;delete
// +kubebuilder:rbac:groups="",resources=configmaps,verbs=get;list;watch
