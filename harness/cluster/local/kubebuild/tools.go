//go:build tools

// Package kubebuild is an auxiliary build module: it pins the Kubernetes
// release (and the etcd its go.mod carries) that the local cluster provider
// builds from source through the Go module proxy. k8s.io/kubernetes is not
// meant to be imported, so its staging modules are replaced with the
// same-numbered k8s.io/* releases; see go.mod. The local provider runs
// `go build` here; nothing imports this package.
package kubebuild

import (
	_ "go.etcd.io/etcd/server/v3"
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kubectl"
)
