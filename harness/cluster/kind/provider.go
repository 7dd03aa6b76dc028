package kind

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/moby/moby/client"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	kindv1 "sigs.k8s.io/kind/pkg/apis/config/v1alpha4"
	kindcluster "sigs.k8s.io/kind/pkg/cluster"
	kindexec "sigs.k8s.io/kind/pkg/exec"

	"github.com/wasmbed/wasmbed/harness/cluster"
	"github.com/wasmbed/wasmbed/harness/cluster/local"
	"github.com/wasmbed/wasmbed/harness/containers/ownership"
	"github.com/wasmbed/wasmbed/harness/images"
	"github.com/wasmbed/wasmbed/harness/kindnode"
	"github.com/wasmbed/wasmbed/harness/workspace"
)

// Progress receives progress lines.
type Progress = cluster.Progress

// GatewayNodePort is the gateway Service's node port in sut/config.
const GatewayNodePort = 30443

// SUTNamespace is where sut/config deploys the controller and gateway.
const SUTNamespace = "wasmbed-system"

// ReusedName is the cluster name when clusters are kept and reused.
const ReusedName = "wasmbed"

// labelKept is "true" on the nodes of a kept cluster, whose harness label
// is "kept", not "true", so that no sweep removes them
// (`docker ps --filter label=wasmbed.io/kept=true` lists them).
const labelKept = "wasmbed.io/kept"

// NodeImage is a node image and what a cluster of it needs.
type NodeImage struct {
	Ref string
	// DefaultCNI is true if the image carries kind's default CNI
	// (kindnetd); the offline one does not and ships a bridge CNI config.
	DefaultCNI bool
	// KubeadmPatches are kind kubeadmConfigPatches the image needs.
	KubeadmPatches []string
}

// NodeImageSource returns the node image to run: what
// WASMBED_KIND_NODE_IMAGE names, else the offline image from
// harness/kindnode (harness/env wires this).
type NodeImageSource func(ctx context.Context, pr Progress) (NodeImage, error)

// Provider creates kind clusters with the SUT deployed.
type Provider struct {
	// NodeImage chooses the node image; required.
	NodeImage NodeImageSource
	// Reuse keeps the cluster (named ReusedName) after the run and adopts
	// it if it exists, runs the wanted node image and answers
	// (WASMBED_KEEP_CLUSTER).
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

// Create implements cluster.Provider: sweep, images, engine probe, node
// image, cluster (or the kept one), image load, deploy, wait.
func (p Provider) Create(ctx context.Context, opts cluster.CreateOptions) (_ cluster.Cluster, err error) {
	t := newTimer()
	pr := opts.Progress
	if p.NodeImage == nil {
		return nil, errors.New("kind provider: no node image source")
	}
	cli, err := images.Connect(ctx)
	if err != nil {
		return nil, err
	}
	defer cli.Close()
	sweepLeftovers(ctx, cli, pr)
	set, err := images.Ensure(ctx, images.Options{Client: cli, Progress: pr})
	if err != nil {
		return nil, err
	}
	t.lap("SUT images")
	engine, err := ProbeEngine(ctx, cli, set.Device.Ref, pr)
	if err != nil {
		return nil, err
	}
	t.lap("engine probe")
	node, err := p.NodeImage(ctx, pr)
	if err != nil {
		return nil, err
	}
	if engine.Restricted() {
		if node.Ref, err = kindnode.Wrap(ctx, cli, node.Ref, pr); err != nil {
			return nil, err
		}
	}
	t.lap("node image")
	bins, err := local.EnsureBinaries(ctx, pr) // kubectl for the specs
	if err != nil {
		return nil, err
	}

	name := opts.Name
	if p.Reuse {
		name = ReusedName
	}
	dir, err := os.MkdirTemp("", tempPrefix+ownership.Owner()+"-"+name+"-")
	if err != nil {
		return nil, err
	}
	// Every label is set explicitly: a node image committed from a
	// labelled build container carries that container's labels (Docker
	// merges them into the image), and a node must not inherit a builder's
	// owner.
	labels := ownership.Labels(name, "kind")
	labels[labelKept] = "false"
	if p.Reuse {
		labels[ownership.LabelHarness] = "kept" // not "true": no sweep removes it
		labels[ownership.LabelOwner] = ""
		labels[labelKept] = "true"
	}
	shim, err := newDockerShim(filepath.Join(dir, "bin"), engine, labels, name)
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	c := &Cluster{
		name: name, dir: dir, reuse: p.Reuse, kubectl: bins.Kubectl, kubeconfig: filepath.Join(dir, "kubeconfig"),
		kp:     kindcluster.NewProvider(kindcluster.ProviderWithDocker(), kindcluster.ProviderWithLogger(kindLogger{pr})),
		shim:   shim,
		engine: engine,
		pr:     pr,
	}
	defer func() {
		if err == nil {
			return
		}
		if ctx.Err() == nil {
			logs := p.LogsDir
			if logs == "" {
				logs = filepath.Join(dir, "logs")
				c.keepDir = true
			} else {
				logs = filepath.Join(logs, "kind-logs-"+name)
			}
			if lerr := c.ExportLogs(logs); lerr == nil {
				err = fmt.Errorf("%w\n(cluster logs exported to %s)", err, logs)
			} else {
				err = fmt.Errorf("%w\n(exporting the cluster logs to %s failed: %v)", err, logs, lerr)
			}
		}
		c.remove(context.Background(), cli, !p.Reuse || ctx.Err() != nil)
	}()

	reused, err := c.adopt(ctx, cli, node.Ref)
	if err != nil {
		return nil, err
	}
	if reused {
		pr.Printf("reusing kind cluster %q (node image %s)", name, node.Ref)
	} else if err := c.create(ctx, cli, node, pr); err != nil {
		return nil, err
	}
	t.lap("cluster")
	if err := c.loadKubeconfig(); err != nil {
		return nil, err
	}
	if c.gatewayEndpoint, err = gatewayHostPort(ctx, cli, name); err != nil {
		return nil, err
	}
	if err := c.loadImages(ctx, cli, []string{set.Gateway.Ref, set.Controller.Ref}, pr); err != nil {
		return nil, err
	}
	t.lap("image load")
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
	t.lap("SUT deploy")
	pr.Printf("kind cluster %q with the SUT ready in %s [%s] (kubeconfig %s, gateway %s)", name, t.total(), t, c.kubeconfig, c.gatewayEndpoint)
	return c, nil
}

// adopt reuses the kept cluster if there is one that runs nodeImage and
// answers; a kept cluster that does not is deleted. Without Reuse, a
// cluster of the same name is an error: sweeps remove those of dead
// owners, so it belongs to a live one.
func (c *Cluster) adopt(ctx context.Context, cli *client.Client, nodeImage string) (bool, error) {
	var existing []string
	if err := c.kind(func() (err error) { existing, err = c.kp.List(); return err }); err != nil {
		return false, fmt.Errorf("kind: list clusters: %w", err)
	}
	if !slices.Contains(existing, c.name) {
		return false, nil
	}
	if !c.reuse {
		return false, fmt.Errorf("kind: a cluster named %q exists and belongs to a running process (kind get clusters; docker ps --filter label=%s=%s)", c.name, kindClusterLabel, c.name)
	}
	why := c.usable(ctx, cli, nodeImage)
	if why == "" {
		return true, nil
	}
	c.progressf("kept kind cluster %q is not reusable (%s): deleting it", c.name, why)
	if err := c.kind(func() error { return c.kp.Delete(c.name, "") }); err != nil {
		return false, fmt.Errorf("kind: delete stale cluster %q: %w", c.name, err)
	}
	removeNetwork(ctx, cli, c.name)
	return false, nil
}

// usable says why a kept cluster cannot be reused, or "" if it can: its
// node runs the wanted image, is neither stopped nor paused, and its API
// server answers.
func (c *Cluster) usable(ctx context.Context, cli *client.Client, nodeImage string) string {
	insp, err := cli.ContainerInspect(ctx, c.NodeContainer(), client.ContainerInspectOptions{})
	if err != nil {
		return err.Error()
	}
	st := insp.Container.State
	switch {
	case st == nil || !st.Running || st.Paused:
		return "node not running"
	case insp.Container.Config.Image != nodeImage:
		return "node runs " + insp.Container.Config.Image + ", want " + nodeImage
	}
	if err := c.loadKubeconfig(); err != nil {
		return err.Error()
	}
	cs, err := kubernetes.NewForConfig(c.config)
	if err != nil {
		return err.Error()
	}
	rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if _, err := cs.Discovery().RESTClient().Get().AbsPath("/readyz").DoRaw(rctx); err != nil {
		return "API server: " + err.Error()
	}
	return ""
}

// create runs kind's create. kind's API takes no context, so an interrupt
// removes the node containers under it (kind then fails and returns).
func (c *Cluster) create(ctx context.Context, cli *client.Client, node NodeImage, pr Progress) error {
	// HostPort -1 has kind pass 0 to the engine, which picks a free port
	// and binds it in one step; gatewayHostPort reads it back. (kind's own
	// choice for 0 listens on :0, closes, and hands the number on: a race
	// with every other process on the machine.)
	cfg := &kindv1.Cluster{
		TypeMeta: kindv1.TypeMeta{Kind: "Cluster", APIVersion: "kind.x-k8s.io/v1alpha4"},
		Nodes: []kindv1.Node{{
			Role: kindv1.ControlPlaneRole,
			ExtraPortMappings: []kindv1.PortMapping{{
				ContainerPort: GatewayNodePort, HostPort: -1, ListenAddress: "127.0.0.1", Protocol: kindv1.PortMappingProtocolTCP,
			}},
		}},
		Networking:           kindv1.Networking{DisableDefaultCNI: !node.DefaultCNI},
		KubeadmConfigPatches: node.KubeadmPatches,
	}
	pr.Printf("creating kind cluster %q from %s (gateway node port %d -> a free port of 127.0.0.1; engine %s)", c.name, node.Ref, GatewayNodePort, c.engine)
	done := make(chan error, 1)
	go func() {
		done <- c.kind(func() error {
			return c.kp.Create(c.name,
				kindcluster.CreateWithV1Alpha4Config(cfg),
				kindcluster.CreateWithNodeImage(node.Ref),
				kindcluster.CreateWithKubeconfigPath(c.kubeconfig),
				kindcluster.CreateWithWaitForReady(3*time.Minute),
				kindcluster.CreateWithRetain(true), // the deferred cleanup exports logs first
				kindcluster.CreateWithDisplayUsage(false),
				kindcluster.CreateWithDisplaySalutation(false),
			)
		})
	}()
	var err error
	select {
	case err = <-done:
	case <-ctx.Done():
		removeNodes(context.Background(), cli, c.name)
		<-done
		err = ctx.Err()
	}
	if err != nil {
		return fmt.Errorf("kind: create cluster %q: %w%s", c.name, err, commandOutput(err))
	}
	return nil
}

// commandOutput is the tail of the output of the command a kind error
// reports (kind keeps it in the error, but its message leaves it out).
func commandOutput(err error) string {
	re := kindexec.RunErrorForError(err)
	if re == nil || len(re.Output) == 0 {
		return ""
	}
	out := strings.TrimSpace(string(re.Output))
	if lines := strings.Split(out, "\n"); len(lines) > 40 {
		out = "...\n" + strings.Join(lines[len(lines)-40:], "\n")
	}
	return "\n--- output of the command (last lines) ---\n" + out
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
	shim                           *dockerShim
	engine                         Engine
	config                         *rest.Config
	reuse, keepDir                 bool
	pr                             Progress
}

// kind runs fn, a call into the kind API, with the cluster's docker shim.
func (c *Cluster) kind(fn func() error) error { return c.shim.do(fn) }

func (c *Cluster) progressf(format string, args ...any) {
	if c.pr != nil {
		c.pr.Printf(format, args...)
	}
}

func (c *Cluster) loadKubeconfig() error {
	var kc string
	if err := c.kind(func() (err error) { kc, err = c.kp.KubeConfig(c.name, false); return err }); err != nil {
		return fmt.Errorf("kind: kubeconfig of %q: %w", c.name, err)
	}
	if err := os.WriteFile(c.kubeconfig, []byte(kc), 0o600); err != nil {
		return err
	}
	var err error
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

// Engine is what the Docker engine granted the cluster's nodes.
func (c *Cluster) Engine() Engine { return c.engine }

// ExportLogs writes the nodes' logs (journal, containers, pods, kubelet,
// containerd) into dir, as `kind export logs dir` does.
func (c *Cluster) ExportLogs(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	return c.kind(func() error { return c.kp.CollectLogs(c.name, dir) })
}

// Stop implements cluster.Cluster: it deletes the cluster, its network and
// its folder, unless the cluster is kept for reuse (then only the folder
// goes).
func (c *Cluster) Stop(ctx context.Context) error {
	cli, err := images.Connect(ctx)
	if err != nil {
		return err
	}
	defer cli.Close()
	return c.remove(ctx, cli, !c.reuse)
}

// Delete deletes the cluster, its network and its folder, kept or not.
func (c *Cluster) Delete(ctx context.Context) error {
	cli, err := images.Connect(ctx)
	if err != nil {
		return err
	}
	defer cli.Close()
	return c.remove(ctx, cli, true)
}

func (c *Cluster) remove(ctx context.Context, cli *client.Client, deleteCluster bool) error {
	var errs []error
	if deleteCluster {
		if err := c.kind(func() error { return c.kp.Delete(c.name, c.kubeconfig) }); err != nil {
			errs = append(errs, fmt.Errorf("kind: delete cluster %q: %w", c.name, err))
			removeNodes(ctx, cli, c.name)
		}
		if err := removeNetwork(ctx, cli, c.name); err != nil {
			errs = append(errs, err)
		}
	}
	if !c.keepDir {
		errs = append(errs, os.RemoveAll(c.dir))
	} else {
		errs = append(errs, os.RemoveAll(filepath.Join(c.dir, "bin")))
	}
	return errors.Join(errs...)
}

// String is for logs.
func (c *Cluster) String() string { return c.name + " (gateway " + c.gatewayEndpoint + ")" }

// timer reports how long each step of Create took.
type timer struct {
	start, last time.Time
	laps        []string
}

func newTimer() *timer { now := time.Now(); return &timer{start: now, last: now} }

func (t *timer) lap(what string) {
	now := time.Now()
	t.laps = append(t.laps, fmt.Sprintf("%s %s", what, now.Sub(t.last).Round(10*time.Millisecond)))
	t.last = now
}

func (t *timer) total() time.Duration { return time.Since(t.start).Round(time.Millisecond) }

func (t *timer) String() string { return strings.Join(t.laps, ", ") }
