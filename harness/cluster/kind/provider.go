package kind

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/moby/moby/client"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	kindv1 "sigs.k8s.io/kind/pkg/apis/config/v1alpha4"
	kindcluster "sigs.k8s.io/kind/pkg/cluster"
	"sigs.k8s.io/kind/pkg/cluster/nodeutils"

	"github.com/wasmbed/wasmbed/harness/cluster"
	"github.com/wasmbed/wasmbed/harness/cluster/local"
	"github.com/wasmbed/wasmbed/harness/images"
	"github.com/wasmbed/wasmbed/harness/workspace"
)

// Progress receives progress lines.
type Progress = cluster.Progress

// GatewayNodePort is the gateway Service's node port in sut/config.
const GatewayNodePort = 30443

// ReusedName is the cluster name when clusters are kept and reused.
const ReusedName = "wasmbed"

// NodeImageSource returns the node image to run: one already built or
// chosen (Provider.NodeImage), else what WASMBED_KIND_NODE_IMAGE names,
// else the offline image from harness/kindnode. It also says whether the
// image carries kind's default CNI (kindnetd); the offline one does not
// and ships a bridge CNI config instead.
type NodeImageSource func(ctx context.Context, pr Progress) (ref string, defaultCNI bool, err error)

// Provider creates kind clusters with the SUT deployed.
type Provider struct {
	// NodeImage chooses the node image; required.
	NodeImage NodeImageSource
	// Reuse keeps the cluster (named ReusedName) after the run and adopts
	// it if it exists (WASMBED_KEEP_CLUSTER).
	Reuse bool
	// LogsDir receives `kind export logs` output when Create fails; a
	// temporary folder (printed) if empty.
	LogsDir string
	// TimeoutScale multiplies the waits for the SUT to be ready
	// (WASMBED_TIMEOUT_SCALE); 1 if zero.
	TimeoutScale float64
}

// Name implements cluster.Provider.
func (Provider) Name() string { return "kind" }

// Create implements cluster.Provider: preflight, images, cluster, image
// load, deploy, wait.
func (p Provider) Create(ctx context.Context, opts cluster.CreateOptions) (_ cluster.Cluster, err error) {
	start := time.Now()
	pr := opts.Progress
	cli, err := images.Connect(ctx)
	if err != nil {
		return nil, err
	}
	defer cli.Close()
	set, err := images.Build(ctx, images.Options{Client: cli, Progress: pr})
	if err != nil {
		return nil, err
	}
	if err := Preflight(ctx, cli, set.Device.Ref); err != nil {
		return nil, err
	}
	if p.NodeImage == nil {
		return nil, errors.New("kind provider: no node image source")
	}
	nodeImage, defaultCNI, err := p.NodeImage(ctx, pr)
	if err != nil {
		return nil, err
	}
	bins, err := local.EnsureBinaries(ctx, pr) // kubectl for the specs
	if err != nil {
		return nil, err
	}

	name := opts.Name
	if p.Reuse {
		name = ReusedName
	}
	kp := kindcluster.NewProvider(kindcluster.ProviderWithDocker(), kindcluster.ProviderWithLogger(kindLogger{pr}))
	dir, err := os.MkdirTemp("", "wasmbed-kind-"+name+"-")
	if err != nil {
		return nil, err
	}
	c := &Cluster{name: name, dir: dir, kp: kp, reuse: p.Reuse, kubectl: bins.Kubectl, kubeconfig: filepath.Join(dir, "kubeconfig")}
	defer func() {
		if err == nil {
			return
		}
		logs := p.LogsDir
		if logs == "" {
			logs = filepath.Join(dir, "logs")
		} else {
			logs = filepath.Join(logs, "kind-logs-"+name)
		}
		if lerr := c.ExportLogs(logs); lerr == nil {
			err = fmt.Errorf("%w (cluster logs exported to %s)", err, logs)
		}
		if !p.Reuse {
			_ = c.Stop(context.Background())
		}
	}()

	existing, err := kp.List()
	if err != nil {
		return nil, fmt.Errorf("kind: list clusters: %w", err)
	}
	if p.Reuse && slices.Contains(existing, name) {
		pr.Printf("reusing kind cluster %q", name)
		c.created = false
	} else {
		// HostPort -1 has kind pass 0 to the engine, which picks a free
		// port and binds it in one step; gatewayHostPort reads it back.
		// (kind's own choice for 0 listens on :0, closes, and hands the
		// number on: a race with every other process on the machine.)
		cfg := &kindv1.Cluster{
			TypeMeta: kindv1.TypeMeta{Kind: "Cluster", APIVersion: "kind.x-k8s.io/v1alpha4"},
			Nodes: []kindv1.Node{{
				Role: kindv1.ControlPlaneRole,
				ExtraPortMappings: []kindv1.PortMapping{{
					ContainerPort: GatewayNodePort, HostPort: -1, ListenAddress: "127.0.0.1", Protocol: kindv1.PortMappingProtocolTCP,
				}},
			}},
			Networking: kindv1.Networking{DisableDefaultCNI: !defaultCNI},
		}
		pr.Printf("creating kind cluster %q from %s (gateway node port %d -> a free port of 127.0.0.1)", name, nodeImage, GatewayNodePort)
		if err := kp.Create(name,
			kindcluster.CreateWithV1Alpha4Config(cfg),
			kindcluster.CreateWithNodeImage(nodeImage),
			kindcluster.CreateWithKubeconfigPath(c.kubeconfig),
			kindcluster.CreateWithWaitForReady(3*time.Minute),
			kindcluster.CreateWithDisplayUsage(false),
			kindcluster.CreateWithDisplaySalutation(false),
		); err != nil {
			return nil, fmt.Errorf("kind: create cluster %q: %w", name, err)
		}
		c.created = true
	}
	if err := c.loadKubeconfig(); err != nil {
		return nil, err
	}
	if c.gatewayEndpoint, err = gatewayHostPort(ctx, cli, name); err != nil {
		return nil, err
	}
	if err := loadImages(ctx, cli, kp, name, set, pr); err != nil {
		return nil, err
	}
	root, err := workspace.Root()
	if err != nil {
		return nil, err
	}
	m, err := Render(root, set)
	if err != nil {
		return nil, err
	}
	pr.Printf("deploying the SUT from %s", ManifestsDir)
	if err := Deploy(ctx, c.config, m, pr, p.TimeoutScale); err != nil {
		return nil, err
	}
	pr.Printf("kind cluster %q with the SUT ready in %s (kubeconfig %s, gateway %s)", name, time.Since(start).Round(time.Millisecond), c.kubeconfig, c.gatewayEndpoint)
	return c, nil
}

// loadImages streams the SUT images from the Docker engine into every
// node's containerd, as `kind load docker-image` does.
func loadImages(ctx context.Context, cli *client.Client, kp *kindcluster.Provider, name string, set images.Set, pr Progress) error {
	nodes, err := kp.ListInternalNodes(name)
	if err != nil {
		return fmt.Errorf("kind: nodes of %q: %w", name, err)
	}
	refs := []string{set.Gateway.Ref, set.Controller.Ref}
	for _, n := range nodes {
		pr.Printf("loading %v into node %s", refs, n.String())
		rc, err := cli.ImageSave(ctx, refs)
		if err != nil {
			return fmt.Errorf("docker save %v: %w", refs, err)
		}
		err = nodeutils.LoadImageArchive(n, rc)
		rc.Close()
		if err != nil {
			return fmt.Errorf("load images into node %s: %w", n.String(), err)
		}
	}
	return nil
}

// gatewayHostPort reads back the host port mapped to the gateway's node
// port, so a reused cluster works without knowing how it was created.
func gatewayHostPort(ctx context.Context, cli *client.Client, name string) (string, error) {
	insp, err := cli.ContainerInspect(ctx, name+"-control-plane", client.ContainerInspectOptions{})
	if err != nil {
		return "", fmt.Errorf("kind: inspect node %s-control-plane: %w", name, err)
	}
	if insp.Container.NetworkSettings != nil {
		for port, bindings := range insp.Container.NetworkSettings.Ports {
			if int(port.Num()) == GatewayNodePort {
				for _, b := range bindings {
					return net.JoinHostPort("127.0.0.1", b.HostPort), nil
				}
			}
		}
	}
	return "", fmt.Errorf("kind: node %s-control-plane maps no host port to %d (was it created without extraPortMappings?)", name, GatewayNodePort)
}

// Cluster is a kind cluster with the SUT deployed.
type Cluster struct {
	name, dir, kubeconfig, kubectl string
	gatewayEndpoint                string
	kp                             *kindcluster.Provider
	config                         *rest.Config
	reuse, created                 bool
}

func (c *Cluster) loadKubeconfig() error {
	kc, err := c.kp.KubeConfig(c.name, false)
	if err != nil {
		return fmt.Errorf("kind: kubeconfig of %q: %w", c.name, err)
	}
	if err := os.WriteFile(c.kubeconfig, []byte(kc), 0o600); err != nil {
		return err
	}
	c.config, err = clientcmd.RESTConfigFromKubeConfig([]byte(kc))
	return err
}

// Name implements cluster.Cluster.
func (c *Cluster) Name() string { return c.name }

// RESTConfig implements cluster.Cluster.
func (c *Cluster) RESTConfig() *rest.Config { return rest.CopyConfig(c.config) }

// KubeconfigPath implements cluster.Cluster.
func (c *Cluster) KubeconfigPath() string { return c.kubeconfig }

// Capabilities implements cluster.Cluster: the SUT runs in the cluster and
// devices reach the gateway on the host's loopback.
func (c *Cluster) Capabilities() cluster.Capabilities {
	return cluster.Capabilities{InClusterSUT: true, GatewayEndpoint: c.gatewayEndpoint, KubectlPath: c.kubectl}
}

// ExportLogs writes the nodes' logs (journal, containers, pods, kubelet,
// containerd) into dir, as `kind export logs dir` does.
func (c *Cluster) ExportLogs(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	return c.kp.CollectLogs(c.name, dir)
}

// Stop implements cluster.Cluster: it deletes the cluster, unless it is
// kept for reuse.
func (c *Cluster) Stop(context.Context) error {
	defer os.RemoveAll(c.dir)
	if c.reuse {
		return nil
	}
	return c.kp.Delete(c.name, c.kubeconfig)
}

// String is for logs.
func (c *Cluster) String() string { return c.name + " (gateway " + c.gatewayEndpoint + ")" }
