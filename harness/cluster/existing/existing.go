// Package existing adopts the cluster $KUBECONFIG points at. The harness
// installs (or updates) the Wasmbed CRDs there and leaves everything else
// alone; stopping only detaches.
package existing

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/wasmbed/wasmbed/harness/cluster"
)

// Provider adopts an existing cluster.
type Provider struct{}

// Name implements cluster.Provider.
func (Provider) Name() string { return "existing" }

// Create implements cluster.Provider: it loads $KUBECONFIG (or
// ~/.kube/config) and installs the CRDs.
func (Provider) Create(ctx context.Context, opts cluster.CreateOptions) (cluster.Cluster, error) {
	path := os.Getenv("KUBECONFIG")
	if path == "" {
		home, _ := os.UserHomeDir()
		path = filepath.Join(home, ".kube", "config")
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", path)
	if err != nil {
		return nil, fmt.Errorf("WASMBED_CLUSTER=existing needs a usable kubeconfig (KUBECONFIG=%q): %w", path, err)
	}
	if _, err := envtest.InstallCRDs(cfg, envtest.CRDInstallOptions{Paths: []string{opts.CRDDir}, ErrorIfPathMissing: true}); err != nil {
		return nil, fmt.Errorf("install CRDs into the existing cluster: %w", err)
	}
	kubectl, _ := exec.LookPath("kubectl")
	return &adopted{name: opts.Name, path: path, cfg: cfg, kubectl: kubectl}, nil
}

type adopted struct {
	name, path, kubectl string
	cfg                 *rest.Config
}

func (a *adopted) Name() string               { return a.name }
func (a *adopted) RESTConfig() *rest.Config   { return rest.CopyConfig(a.cfg) }
func (a *adopted) KubeconfigPath() string     { return a.path }
func (a *adopted) Stop(context.Context) error { return nil }
func (a *adopted) Capabilities() cluster.Capabilities {
	return cluster.Capabilities{KubectlPath: a.kubectl}
}
