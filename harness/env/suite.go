package env

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/wasmbed/wasmbed/harness/cluster"
	"github.com/wasmbed/wasmbed/harness/cluster/existing"
	"github.com/wasmbed/wasmbed/harness/cluster/local"
	"github.com/wasmbed/wasmbed/harness/config"
	"github.com/wasmbed/wasmbed/harness/proc"
	"github.com/wasmbed/wasmbed/harness/progress"
	"github.com/wasmbed/wasmbed/harness/workspace"
	wasmbedv1 "github.com/wasmbed/wasmbed/sut/api/v1alpha1"
)

// Scheme knows the core kinds and Wasmbed's.
var Scheme = func() *runtime.Scheme {
	s := runtime.NewScheme()
	_ = clientgoscheme.AddToScheme(s)
	_ = apiextensionsv1.AddToScheme(s)
	_ = wasmbedv1.AddToScheme(s)
	return s
}()

// Suite is the run-wide part of the environment.
type Suite struct {
	Config     *config.Config
	Shared     Shared
	RESTConfig *rest.Config
	Client     client.Client
	ReportDir  string
	Progress   *progress.Printer

	cluster cluster.Cluster // set only in the process that created it
}

// Shared is what the process that booted the cluster hands to the others
// (ginkgo -p runs one process per node).
type Shared struct {
	ClusterName     string
	Kubeconfig      string
	KubectlPath     string
	InClusterSUT    bool
	GatewayEndpoint string
	Bins            Binaries
	ReportDir       string
	// Seed is the run's seed (config.Config.Seed): the first process
	// draws it if none was given, and every process uses the same.
	Seed uint64
}

// Provider returns the cluster provider the configuration selects, set up
// as the configuration says.
func Provider(cfg *config.Config) (cluster.Provider, error) {
	switch cfg.Cluster {
	case "local":
		return local.Provider{}, nil
	case "existing":
		return existing.Provider{}, nil
	case "kind":
		return kindProvider(cfg), nil
	}
	return nil, fmt.Errorf("unknown cluster provider %q", cfg.Cluster)
}

// Boot creates the cluster and builds the SUT binaries. Call it once per
// run; hand Shared to the other processes, which call Attach.
func Boot(ctx context.Context, cfg *config.Config) (*Suite, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if swept := proc.ClaimOwnership(); len(swept) > 0 {
		fmt.Fprintf(os.Stderr, "ended %d process(es) left behind by a killed run: %v\n", len(swept), swept)
	}
	pr := progress.Stderr("harness")
	reportDir, err := workspace.ReportsDir(cfg.RunID)
	if err != nil {
		return nil, err
	}
	root, err := workspace.Root()
	if err != nil {
		return nil, err
	}
	p, err := Provider(cfg)
	if err != nil {
		return nil, err
	}

	// Build the SUT while the cluster comes up: both take a while cold.
	binsCh := make(chan error, 1)
	var bins Binaries
	go func() {
		var err error
		bins, err = BuildBinaries(ctx, cfg, pr)
		binsCh <- err
	}()
	cl, err := p.Create(ctx, cluster.CreateOptions{
		Name:     "wasmbed-" + cfg.RunID,
		CRDDir:   filepath.Join(root, "sut", "config", "crd"),
		Progress: progress.Stderr("cluster"),
	})
	if berr := <-binsCh; berr != nil {
		if cl != nil {
			_ = cl.Stop(context.Background())
		}
		return nil, berr
	}
	if err != nil {
		return nil, err
	}
	caps := cl.Capabilities()
	s := &Suite{
		Config:  cfg,
		cluster: cl,
		Shared: Shared{
			ClusterName:     cl.Name(),
			Kubeconfig:      cl.KubeconfigPath(),
			KubectlPath:     caps.KubectlPath,
			InClusterSUT:    caps.InClusterSUT,
			GatewayEndpoint: caps.GatewayEndpoint,
			Bins:            bins,
			ReportDir:       reportDir,
			Seed:            cfg.Seed,
		},
		Progress: pr,
	}
	if err := s.connect(cl.RESTConfig()); err != nil {
		_ = cl.Stop(context.Background())
		return nil, err
	}
	return s, nil
}

// Attach joins a cluster booted by another process.
func Attach(cfg *config.Config, shared Shared) (*Suite, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	proc.ClaimOwnership()
	cfg.SetSeed(shared.Seed)
	rc, err := clientcmd.BuildConfigFromFlags("", shared.Kubeconfig)
	if err != nil {
		return nil, err
	}
	s := &Suite{Config: cfg, Shared: shared, ReportDir: shared.ReportDir, Progress: progress.Stderr("harness")}
	return s, s.connect(rc)
}

func (s *Suite) connect(rc *rest.Config) error {
	rc.QPS, rc.Burst = 500, 1000
	c, err := client.New(rc, client.Options{Scheme: Scheme})
	if err != nil {
		return err
	}
	s.RESTConfig, s.Client, s.ReportDir = rc, c, s.Shared.ReportDir
	var nsList corev1.NamespaceList
	return c.List(context.Background(), &nsList, client.Limit(1))
}

// Encode serialises Shared for SynchronizedBeforeSuite.
func (sh Shared) Encode() []byte {
	b, _ := json.Marshal(sh)
	return b
}

// DecodeShared is the inverse of Shared.Encode.
func DecodeShared(b []byte) (Shared, error) {
	var sh Shared
	return sh, json.Unmarshal(b, &sh)
}

// Stop tears down the cluster if this process created it, unless the
// configuration asks to keep it.
func (s *Suite) Stop(ctx context.Context) error {
	if s.cluster == nil {
		return nil
	}
	if s.Config.KeepCluster {
		s.Progress.Printf("keeping cluster %s (kubeconfig %s)", s.cluster.Name(), s.Shared.Kubeconfig)
		return nil
	}
	return s.cluster.Stop(ctx)
}
