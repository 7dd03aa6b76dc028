// Package local is the default cluster provider: a real kube-apiserver, etcd
// and kube-controller-manager running as processes on loopback.
//
// No binary downloads exist where the harness must run, so the binaries are
// built from Kubernetes source through the Go module proxy (see the kubebuild
// module next to this file) and cached by the content of that module's
// go.mod and go.sum: a second run builds nothing. The apiserver and etcd are
// started through controller-runtime's envtest, which brings its own
// certificates and user provisioning; kube-controller-manager is added so
// that garbage collection and namespace deletion work as in a real cluster.
//
// Every cluster gets its own directory and free ports, so several can run at
// once (ginkgo -p, or several `harness up`).
package local
