package kind_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/client"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	ctrlclient "sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/wasmbed/wasmbed/harness/cluster"
	"github.com/wasmbed/wasmbed/harness/cluster/kind"
	"github.com/wasmbed/wasmbed/harness/config"
	"github.com/wasmbed/wasmbed/harness/env"
	"github.com/wasmbed/wasmbed/harness/fleet"
	"github.com/wasmbed/wasmbed/harness/images"
	"github.com/wasmbed/wasmbed/harness/observe"
	"github.com/wasmbed/wasmbed/harness/progress"
	"github.com/wasmbed/wasmbed/harness/tokens"
	"github.com/wasmbed/wasmbed/harness/workspace"
	wasmbedv1 "github.com/wasmbed/wasmbed/sut/api/v1alpha1"
	"github.com/wasmbed/wasmbed/sut/pki"
)

func needDocker(t *testing.T) {
	t.Helper()
	if !config.FromEnv().KindTests {
		t.Skip("boots a kind cluster (minutes): set WASMBED_KIND_TESTS=1 (make kind-test, make nightly)")
	}
}

// provider is the kind provider as the harness configures it: the offline
// node image unless WASMBED_KIND_NODE_IMAGE names one, the cluster's logs
// exported under reports/ if it fails to come up.
func provider(t *testing.T, reuse bool) kind.Provider {
	t.Helper()
	// Created only if logs are exported.
	logs := filepath.Join(workspace.MustRoot(), "reports", "kind-test-"+time.Now().Format("20060102-150405"))
	return kind.Provider{Reuse: reuse, NodeImage: env.NodeImage(config.FromEnv().KindNodeImage), LogsDir: logs}
}

// TestCreate boots a kind cluster with the SUT on this machine's engine and
// fails if it cannot: an engine that refuses kind is a failure here, not a
// pass. Given the cluster, it checks the SUT the way production runs it —
// two controller replicas with one leader, the gateway behind its NodePort
// Service — and that a device outside the cluster reaches the gateway
// through the host port kind maps: a TLS handshake that verifies the
// gateway's certificate against the CA the in-cluster controller made.
// Then it checks that deleting the cluster leaves nothing behind.
func TestCreate(t *testing.T) {
	needDocker(t)
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Minute)
	defer cancel()
	pr := progress.Stderr("kind-test")
	start := time.Now()
	cl, err := provider(t, false).Create(ctx, cluster.CreateOptions{Name: "wasmbed-kind-test", CRDDir: workspace.MustRoot() + "/sut/config/crd", Progress: pr})
	if err != nil {
		var unsupported *kind.Unsupported
		if errors.As(err, &unsupported) {
			t.Fatalf("this Docker engine cannot run kind, so the provider cannot be tested here:\n%v", err)
		}
		t.Fatalf("kind cluster with the SUT did not come up: %v", err)
	}
	c := cl.(*kind.Cluster)
	stopped := false
	defer func() {
		if !stopped {
			c.Stop(context.Background())
		}
	}()
	t.Logf("kind cluster with the SUT ready in %s; engine %s; gateway at %s", time.Since(start).Round(time.Millisecond), c.Engine(), c.Capabilities().GatewayEndpoint)

	cs, err := kubernetes.NewForConfig(c.RESTConfig())
	if err != nil {
		t.Fatal(err)
	}
	ctl, err := cs.AppsV1().Deployments(kind.SUTNamespace).Get(ctx, "wasmbed-controller", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if ctl.Status.AvailableReplicas != 2 {
		t.Errorf("controller: %d replicas available, want 2", ctl.Status.AvailableReplicas)
	}
	var lease *coordinationv1.Lease
	if err := wait.PollUntilContextTimeout(ctx, 500*time.Millisecond, 2*time.Minute, true, func(ctx context.Context) (bool, error) {
		lease, _ = cs.CoordinationV1().Leases(kind.SUTNamespace).Get(ctx, "wasmbed-controller", metav1.GetOptions{})
		return lease != nil && lease.Spec.HolderIdentity != nil && *lease.Spec.HolderIdentity != "", nil
	}); err != nil {
		t.Fatalf("no controller leader elected: lease %+v", lease)
	}
	pods, err := cs.CoreV1().Pods(kind.SUTNamespace).List(ctx, metav1.ListOptions{LabelSelector: "app.kubernetes.io/name=wasmbed-controller"})
	if err != nil {
		t.Fatal(err)
	}
	leader := false
	for _, p := range pods.Items {
		leader = leader || strings.HasPrefix(*lease.Spec.HolderIdentity, p.Name)
	}
	if !leader {
		t.Errorf("the leader %q is none of the controller pods", *lease.Spec.HolderIdentity)
	}
	gw, err := cs.AppsV1().Deployments(kind.SUTNamespace).Get(ctx, "wasmbed-gateway", metav1.GetOptions{})
	if err != nil || gw.Status.AvailableReplicas != 1 {
		t.Fatalf("gateway Deployment not available: %v %+v", err, gw.Status)
	}

	// A device's first step, from the host: TLS to the mapped port,
	// verified against the CA Secret of the gateway's namespace.
	var secret *corev1.Secret
	if err := wait.PollUntilContextTimeout(ctx, 500*time.Millisecond, 2*time.Minute, true, func(ctx context.Context) (bool, error) {
		secret, _ = cs.CoreV1().Secrets(kind.SUTNamespace).Get(ctx, pki.DefaultSecretName, metav1.GetOptions{})
		return secret != nil && len(secret.Data[pki.KeyTrust]) > 0, nil
	}); err != nil {
		t.Fatal("the controller made no CA Secret")
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(secret.Data[pki.KeyTrust]) {
		t.Fatal("CA Secret holds no certificate")
	}
	var state tls.ConnectionState
	var dialErr error
	if err := wait.PollUntilContextTimeout(ctx, 500*time.Millisecond, time.Minute, true, func(context.Context) (bool, error) {
		conn, err := tls.Dial("tcp", c.Capabilities().GatewayEndpoint, &tls.Config{RootCAs: roots, ServerName: "127.0.0.1", MinVersion: tls.VersionTLS13})
		if dialErr = err; err != nil {
			return false, nil
		}
		state = conn.ConnectionState()
		return true, conn.Close()
	}); err != nil {
		t.Fatalf("TLS to the gateway at %s: %v", c.Capabilities().GatewayEndpoint, dialErr)
	}
	t.Logf("TLS to the in-cluster gateway at %s: certificate %q issued by %q", c.Capabilities().GatewayEndpoint,
		state.PeerCertificates[0].Subject.CommonName, state.PeerCertificates[0].Issuer.CommonName)

	// A device enrols from the host, as the firmware does in the field: an
	// operator's one-time token, the CA in flash, the gateway's host port.
	scheme := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	if err := wasmbedv1.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	k, err := ctrlclient.New(c.RESTConfig(), ctrlclient.Options{Scheme: scheme})
	if err != nil {
		t.Fatal(err)
	}
	const devName = "kind-test-device"
	tok, err := tokens.Create(ctx, k, kind.SUTNamespace, tokens.Options{DeviceName: devName})
	if err != nil {
		t.Fatal(err)
	}
	devices := &fleet.InProcessBackend{}
	defer devices.Close(context.Background())
	logDir := t.TempDir()
	if _, err := devices.Launch(ctx, fleet.Spec{Name: devName, Profile: "process", Gateway: c.Capabilities().GatewayEndpoint,
		CA: secret.Data[pki.KeyTrust], Token: tok, LogDir: logDir}); err != nil {
		t.Fatal(err)
	}
	var phase wasmbedv1.DevicePhase
	if err := wait.PollUntilContextTimeout(ctx, 500*time.Millisecond, 2*time.Minute, true, func(ctx context.Context) (bool, error) {
		phase, _ = observe.DevicePhase(k, kind.SUTNamespace, devName)(ctx)
		return phase == wasmbedv1.DeviceConnected, nil
	}); err != nil {
		log, _ := os.ReadFile(filepath.Join(logDir, "device-"+devName+".log"))
		t.Fatalf("device %s did not enrol and connect through the in-cluster gateway (phase %q); its log:\n%s", devName, phase, log)
	}
	t.Logf("device %s enrolled through %s and is %s", devName, c.Capabilities().GatewayEndpoint, phase)
	if err := devices.Close(ctx); err != nil {
		t.Errorf("stop the device: %v", err)
	}

	node := c.NodeContainer()
	if err := c.Stop(ctx); err != nil {
		t.Fatalf("stop: %v", err)
	}
	stopped = true
	cli, err := images.Connect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	left, err := cli.ContainerList(ctx, client.ContainerListOptions{All: true, Filters: client.Filters{}.Add("label", "io.x-k8s.kind.cluster=wasmbed-kind-test")})
	if err != nil {
		t.Fatal(err)
	}
	if len(left.Items) != 0 {
		t.Errorf("after Stop, %d node container(s) remain (%s)", len(left.Items), node)
	}
	if _, err := cli.NetworkInspect(ctx, "wasmbed-kind-test", client.NetworkInspectOptions{}); err == nil {
		t.Error("after Stop, the cluster's network remains")
	}
}

// TestEngineProbeTriesWhatItReports checks the engine probe against the
// engine: on one that refuses --privileged, each capability it reports as
// denied is refused on its own, and the node flags it derives start a
// container.
func TestEngineProbeTriesWhatItReports(t *testing.T) {
	needDocker(t)
	ctx := context.Background()
	cli, err := images.Connect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	set, err := images.Ensure(ctx, images.Options{Client: cli})
	if err != nil {
		t.Fatal(err)
	}
	e, err := kind.ProbeEngine(ctx, cli, set.Device.Ref, progress.Stderr("kind-test"))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("engine %s", e)
	if e.Privileged {
		return
	}
	if len(e.Denied) == 0 {
		t.Fatalf("the engine refuses --privileged (%s) but the probe found no denied capability", e.Refusal)
	}
	for _, c := range e.Denied {
		if err := kind.TryCapabilities(ctx, cli, set.Device.Ref, []string{c}, nil); err == nil {
			t.Errorf("%s reported denied, but a container with it starts", c)
		}
	}
	if err := kind.TryCapabilities(ctx, cli, set.Device.Ref, []string{"ALL"}, e.Denied); err != nil {
		t.Errorf("all capabilities but %v: %v", e.Denied, err)
	}
}

// TestKeptClusterIsReused checks WASMBED_KEEP_CLUSTER: a kept cluster
// outlives Stop, and the next Create adopts the same node rather than
// creating one.
func TestKeptClusterIsReused(t *testing.T) {
	needDocker(t)
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Minute)
	defer cancel()
	pr := progress.Stderr("kind-test")
	cli, err := images.Connect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	nodeID := func(c *kind.Cluster) string {
		insp, err := cli.ContainerInspect(ctx, c.NodeContainer(), client.ContainerInspectOptions{})
		if err != nil {
			t.Fatalf("node of the kept cluster: %v", err)
		}
		return insp.Container.ID
	}
	opts := cluster.CreateOptions{Name: "ignored-when-kept", CRDDir: workspace.MustRoot() + "/sut/config/crd", Progress: pr}
	first, err := provider(t, true).Create(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	c1 := first.(*kind.Cluster)
	defer c1.Delete(context.Background())
	id := nodeID(c1)
	if err := c1.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	second, err := provider(t, true).Create(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	c2 := second.(*kind.Cluster)
	defer c2.Delete(context.Background())
	if got := nodeID(c2); got != id {
		t.Errorf("the second Create made a new node (%s, was %s): the kept cluster was not reused", got[:12], id[:12])
	}
	if c2.Capabilities().GatewayEndpoint == "" {
		t.Error("no gateway endpoint on the reused cluster")
	}
}

// TestInterruptedCreateLeavesNothing cancels Create as soon as kind's node
// container exists, the way an interrupted run cancels it, and checks
// that Create fails and leaves no container, network or folder behind.
func TestInterruptedCreateLeavesNothing(t *testing.T) {
	needDocker(t)
	const name = "wasmbed-kind-interrupt"
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cli, err := images.Connect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	nodes := func(ctx context.Context) int {
		l, err := cli.ContainerList(ctx, client.ContainerListOptions{All: true, Filters: client.Filters{}.Add("label", "io.x-k8s.kind.cluster="+name)})
		if err != nil {
			t.Error(err)
			return 0
		}
		return len(l.Items)
	}
	go func() {
		_ = wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, 30*time.Minute, true, func(ctx context.Context) (bool, error) {
			return nodes(ctx) > 0, nil
		})
		cancel()
	}()
	_, err = provider(t, false).Create(ctx, cluster.CreateOptions{Name: name, CRDDir: workspace.MustRoot() + "/sut/config/crd", Progress: progress.Stderr("kind-test")})
	if err == nil {
		t.Fatal("Create succeeded although it was cancelled while kind created the node")
	}
	t.Logf("cancelled Create: %v", err)
	bg := context.Background()
	if n := nodes(bg); n != 0 {
		t.Errorf("%d node container(s) left behind", n)
	}
	if _, err := cli.NetworkInspect(bg, name, client.NetworkInspectOptions{}); err == nil {
		t.Errorf("network %s left behind", name)
	}
	if dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), "wasmbed-kind-*-"+name+"-*")); len(dirs) > 0 {
		t.Errorf("folders left behind: %v", dirs)
	}
}
