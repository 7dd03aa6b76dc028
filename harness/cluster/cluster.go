package cluster

import (
	"context"

	"k8s.io/client-go/rest"
)

// Cluster is a running Kubernetes cluster the harness may use.
type Cluster interface {
	// Name identifies the cluster in logs and reports.
	Name() string

	// RESTConfig returns an admin config for the cluster.
	RESTConfig() *rest.Config

	// KubeconfigPath is a kubeconfig file usable by kubectl.
	KubeconfigPath() string

	// Capabilities says what the cluster can do, so specs can adapt
	// (for example, whether the SUT runs inside it).
	Capabilities() Capabilities

	// Stop tears the cluster down, or detaches from it if the harness did
	// not create it.
	Stop(ctx context.Context) error
}

// Capabilities describe a cluster to the specs that run on it.
type Capabilities struct {
	// InClusterSUT is true when the SUT runs inside the cluster (kind);
	// otherwise the harness starts the controller and gateways as local
	// processes.
	InClusterSUT bool

	// GatewayEndpoint is where devices reach an in-cluster gateway.
	GatewayEndpoint string

	// KubectlPath is a kubectl binary that matches the cluster's version.
	KubectlPath string
}

// Provider creates clusters of one kind.
type Provider interface {
	// Name is the value of WASMBED_CLUSTER that selects the provider.
	Name() string

	// Create brings up a cluster and installs the Wasmbed CRDs from
	// crdDir. It prints progress of long steps to opts.Progress.
	Create(ctx context.Context, opts CreateOptions) (Cluster, error)
}

// CreateOptions are common to all providers.
type CreateOptions struct {
	// Name distinguishes concurrent clusters; it becomes part of directory
	// and container names.
	Name string

	// CRDDir holds the CRD manifests to install.
	CRDDir string

	// Progress receives human-readable progress lines.
	Progress Progress
}

// Progress receives progress lines for long-running steps.
type Progress interface {
	Printf(format string, args ...any)
}
