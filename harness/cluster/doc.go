// Package cluster defines how the harness obtains a Kubernetes cluster.
//
// A Provider creates (or adopts) a Cluster; a Cluster hands out a REST
// config and a kubeconfig file and knows how to tear itself down. The
// providers live in sub-packages, in the manner of kind's pkg/cluster:
//
//   - local: kube-apiserver, etcd and kube-controller-manager built from
//     Kubernetes source and run as processes on loopback (the default);
//   - existing: whatever cluster $KUBECONFIG points at;
//   - kind: a kind cluster with the SUT deployed in it.
//
// Specs never care which one they got: they talk to the cluster through
// its API only.
package cluster
