package local

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/wasmbed/wasmbed/harness/cluster"
	"github.com/wasmbed/wasmbed/harness/proc"
)

// Provider builds and runs local control planes.
type Provider struct{}

// Name implements cluster.Provider.
func (Provider) Name() string { return "local" }

// Create implements cluster.Provider.
func (Provider) Create(ctx context.Context, opts cluster.CreateOptions) (cluster.Cluster, error) {
	bins, err := EnsureBinaries(ctx, opts.Progress)
	if err != nil {
		return nil, err
	}
	return Start(ctx, bins, opts)
}

// Cluster is a running local control plane.
type Cluster struct {
	name       string
	dir        string
	bins       *Binaries
	env        *envtest.Environment
	kcm        *proc.Process
	kubeconfig string
	config     *rest.Config
}

// Start boots etcd, kube-apiserver and kube-controller-manager from bins in a
// fresh directory and installs the CRDs.
func Start(ctx context.Context, bins *Binaries, opts cluster.CreateOptions) (_ *Cluster, err error) {
	start := time.Now()
	dir, err := os.MkdirTemp("", "wasmbed-cluster-"+opts.Name+"-")
	if err != nil {
		return nil, err
	}
	c := &Cluster{name: opts.Name, dir: dir, bins: bins}
	defer func() {
		if err != nil {
			_ = c.Stop(context.Background())
		}
	}()

	etcdDir := filepath.Join(dir, "etcd")
	certDir := filepath.Join(dir, "apiserver")
	for _, d := range []string{etcdDir, certDir} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, err
		}
	}
	apiLog, err := os.Create(filepath.Join(dir, "kube-apiserver.log"))
	if err != nil {
		return nil, err
	}
	etcdLog, err := os.Create(filepath.Join(dir, "etcd.log"))
	if err != nil {
		return nil, err
	}
	api := &envtest.APIServer{CertDir: certDir, Path: bins.KubeAPIServer, Out: apiLog, Err: apiLog}
	// The apiserver is the only writer of audit-free metrics the benchmarks
	// read (apiserver_request_total), and profiling stays on for people
	// debugging a slow run.
	api.Configure().Set("profiling", "true")
	c.env = &envtest.Environment{
		ControlPlane: envtest.ControlPlane{
			Etcd:      &envtest.Etcd{DataDir: etcdDir, Path: bins.Etcd, Out: etcdLog, Err: etcdLog},
			APIServer: api,
		},
		CRDDirectoryPaths: []string{opts.CRDDir},
		// The CRDs are established within tens of milliseconds; the default
		// 100 ms poll would add most of that again to every start.
		CRDInstallOptions:        envtest.CRDInstallOptions{PollInterval: 20 * time.Millisecond},
		ErrorIfCRDPathMissing:    true,
		ControlPlaneStartTimeout: 60 * time.Second,
		ControlPlaneStopTimeout:  20 * time.Second,
	}
	c.env.ControlPlane.KubectlPath = bins.Kubectl
	cfg, err := c.env.Start()
	if err != nil {
		return nil, fmt.Errorf("start control plane (logs in %s): %w", dir, err)
	}
	c.config = cfg

	c.kubeconfig = filepath.Join(dir, "kubeconfig")
	if err := os.WriteFile(c.kubeconfig, c.env.KubeConfig, 0o600); err != nil {
		return nil, err
	}
	caPath := filepath.Join(dir, "ca.crt")
	if err := os.WriteFile(caPath, api.SecureServing.CA, 0o644); err != nil {
		return nil, err
	}
	if err := c.startControllerManager(certDir, caPath); err != nil {
		return nil, err
	}
	if opts.Progress != nil {
		opts.Progress.Printf("local cluster %q up in %s (kubeconfig %s)", opts.Name, time.Since(start).Round(time.Millisecond), c.kubeconfig)
	}
	return c, nil
}

// startControllerManager runs kube-controller-manager with the controllers
// specs rely on: the garbage collector, the namespace controller and the
// service-account controllers. It serves no port, so clusters never clash.
func (c *Cluster) startControllerManager(certDir, caPath string) error {
	user, err := c.env.AddUser(envtest.User{Name: "system:kube-controller-manager", Groups: []string{"system:masters"}}, nil)
	if err != nil {
		return err
	}
	kc, err := user.KubeConfig()
	if err != nil {
		return err
	}
	kcPath := filepath.Join(c.dir, "kube-controller-manager.kubeconfig")
	if err := os.WriteFile(kcPath, kc, 0o600); err != nil {
		return err
	}
	c.kcm, err = proc.Start(proc.Spec{
		Name: "kube-controller-manager",
		Path: c.bins.KubeControllerManager,
		Args: []string{
			"--kubeconfig=" + kcPath,
			"--leader-elect=false",
			"--secure-port=0",
			"--controllers=*,-nodeipam,-nodelifecycle,-cloud-node-lifecycle,-service-lb-controller,-route,-persistentvolume-binder,-attachdetach,-persistentvolume-expander,-ephemeral-volume,-pv-protection,-pvc-protection",
			"--service-account-private-key-file=" + filepath.Join(certDir, "sa-signer.key"),
			"--root-ca-file=" + caPath,
			"--use-service-account-credentials=false",
			"--concurrent-gc-syncs=5",
			"--v=1",
		},
		LogDir: c.dir,
	})
	return err
}

// Name implements cluster.Cluster.
func (c *Cluster) Name() string { return c.name }

// RESTConfig implements cluster.Cluster.
func (c *Cluster) RESTConfig() *rest.Config { return rest.CopyConfig(c.config) }

// KubeconfigPath implements cluster.Cluster.
func (c *Cluster) KubeconfigPath() string { return c.kubeconfig }

// Dir is the cluster's working directory, with the component logs.
func (c *Cluster) Dir() string { return c.dir }

// Capabilities implements cluster.Cluster.
func (c *Cluster) Capabilities() cluster.Capabilities {
	return cluster.Capabilities{KubectlPath: c.bins.Kubectl}
}

// Stop implements cluster.Cluster: it stops every component and removes the
// cluster's directory.
func (c *Cluster) Stop(context.Context) error {
	var firstErr error
	if c.kcm != nil {
		if err := c.kcm.Stop(10 * time.Second); err != nil {
			firstErr = err
		}
	}
	if c.env != nil {
		if err := c.env.Stop(); err != nil && firstErr == nil {
			firstErr = err
		}
	}
	if err := os.RemoveAll(c.dir); err != nil && firstErr == nil {
		firstErr = err
	}
	return firstErr
}
