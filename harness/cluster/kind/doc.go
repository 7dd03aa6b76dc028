// Package kind is the cluster provider that runs the SUT the way
// production does: a kind cluster (through the sigs.k8s.io/kind Go API,
// not the kind CLI), the SUT images from harness/images loaded into its
// node, and the SUT deployed from the kustomize layout in sut/config —
// the CRDs, the generated least-privilege ClusterRoles, the controller
// Deployment (two replicas under leader election) and the gateway
// Deployment with its NodePort Service. The Service's node port is mapped
// to a free port on the host's loopback (extraPortMappings), so devices
// outside the cluster — processes, containers, QEMU guests — reach the
// gateway at Capabilities().GatewayEndpoint.
//
// A kind node is a privileged container running systemd. Before kind
// runs, ProbeEngine finds out by trying whether the Docker engine starts
// privileged containers, and if not, which capabilities it can grant
// (engine.go). kind's own docker CLI calls go through a shim (shim.go)
// that labels the nodes for the harness's sweeps and, on an engine that
// refuses --privileged, replaces it with what the engine grants; the
// node image's entrypoint wrapper (harness/kindnode) does the rest inside
// the node. The README's "kind on an engine that refuses --privileged"
// lists each obstacle and its fix.
//
// The node image is the one harness/kindnode builds offline from parts,
// or, where a registry is reachable, any image named by
// WASMBED_KIND_NODE_IMAGE (for example the stock kindest/node:v1.34.0).
// With WASMBED_KEEP_CLUSTER the cluster keeps a fixed name, is left
// running at the end of a run, and is adopted by the next one if it is
// healthy (the images are loaded and the manifests applied again, which
// costs nothing when they have not changed).
package kind
