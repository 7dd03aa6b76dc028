//go:build tools

// Package kubebuild is the auxiliary build module of the offline kind node
// image. It pins the same Kubernetes release as the local provider's build
// module (a test keeps the two in step) and lists what a kind node carries
// that the local control plane does not: kubelet, kubeadm, kube-scheduler
// and kube-proxy, next to kube-apiserver, kube-controller-manager, kubectl
// and etcd. k8s.io/kubernetes is not meant to be imported, so its staging
// modules are replaced with the same-numbered k8s.io/* releases; see go.mod.
// The kindnode package runs `go build` here; nothing imports this package.
package kubebuild

import (
	_ "go.etcd.io/etcd/server/v3"
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kube-proxy"
	_ "k8s.io/kubernetes/cmd/kube-scheduler"
	_ "k8s.io/kubernetes/cmd/kubeadm"
	_ "k8s.io/kubernetes/cmd/kubectl"
	_ "k8s.io/kubernetes/cmd/kubelet"
)
