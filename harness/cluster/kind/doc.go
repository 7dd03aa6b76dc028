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
// A kind node is a privileged container running systemd. Before it asks
// kind for anything, the provider checks that the Docker engine starts a
// privileged container at all, and fails with the engine's own error when
// it does not: some engines (this project's development machine among
// them) run dockerd with a capability bounding set that lacks
// CAP_SYS_RESOURCE, and runc then refuses every privileged container.
//
// The node image is the one harness/kindnode builds offline from parts,
// or, where a registry is reachable, any image named by
// WASMBED_KIND_NODE_IMAGE (for example the stock kindest/node:v1.34.0).
// With WASMBED_KEEP_CLUSTER the cluster keeps a fixed name, is left
// running at the end of a run, and is reused by the next one (the images
// are loaded and the manifests applied again, which is idempotent).
package kind
