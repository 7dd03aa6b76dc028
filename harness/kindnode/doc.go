// Package kindnode builds a kind node image offline, from parts, for
// machines that can pull no image (`make kind-node-image`).
//
// The parts, each cached under the harness cache or in the Docker
// engine's image store by a key of its inputs:
//
//   - the base: a Debian bookworm root filesystem made with debootstrap
//     from the Debian mirror of the machine's apt configuration, with what kind's base image carries (systemd,
//     containerd, runc, the CNI plugins, iptables/nftables, conntrack,
//     mount tools, ...), plus kind's own base files — the entrypoint, the
//     containerd config and the kubelet units — taken from the
//     sigs.k8s.io/kind module this repository requires, and a bridge CNI
//     config in place of kindnetd (which is not published as a Go module),
//     and wasmbed-entrypoint (entrypoint.sh), which runs before kind's
//     entrypoint and lets the node boot where Docker refuses
//     --privileged; imported into Docker as an image;
//   - Kubernetes, built from source at the version the local provider
//     pins (the kubebuild module next to this file is kept in step by a
//     test): kubelet, kubeadm and kubectl as binaries, and kube-apiserver,
//     kube-controller-manager and kube-scheduler as FROM scratch images,
//     kube-proxy on the base (it runs iptables); etcd from the same
//     module, and pause from a small Go program in this package, both
//     FROM scratch images; crictl from its own module (critools).
//
// The node image is then assembled the way kind's `build node-image`
// does it — binaries into /usr/bin, the images imported into the node's
// containerd, /kind/version written, the result committed with
// wasmbed-entrypoint in front of kind's entrypoint — but by this package, because kind's builder pulls the
// add-on images (etcd, CoreDNS, kindnetd, the storage provisioner) from
// their registries, which is exactly what cannot happen here.
//
// The image ships no CoreDNS: KubeadmPatches skips kubeadm's CoreDNS
// add-on and names the etcd tag the image carries.
//
// Where a registry is reachable none of this is needed: set
// WASMBED_KIND_NODE_IMAGE=kindest/node:v1.34.0 and the kind provider runs
// the stock image (Wrap adds wasmbed-entrypoint to it on an engine that
// refuses --privileged).
package kindnode
