// Package v1alpha1 holds the wasmbed.io/v1alpha1 API: the Device, Application
// and Gateway kinds that make up Wasmbed's control plane.
//
// The types carry kubebuilder markers; controller-gen turns them into the CRD
// manifests under sut/config/crd and the deep-copy functions in
// zz_generated.deepcopy.go. Run `make generate` after editing this package.
//
// Validation lives in the schema wherever the API server can enforce it
// (patterns, enums, CEL rules), so a bad object is refused at admission with
// a message a person can act on rather than discovered later by a reconciler.
//
// +kubebuilder:object:generate=true
// +groupName=wasmbed.io
package v1alpha1
