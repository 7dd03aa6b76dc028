package containers_test

import (
	"context"
	"testing"
	"time"

	. "github.com/onsi/gomega"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"

	"github.com/wasmbed/wasmbed/harness/config"
	"github.com/wasmbed/wasmbed/harness/containers"
	"github.com/wasmbed/wasmbed/harness/env"
	"github.com/wasmbed/wasmbed/harness/sutproc"
	"github.com/wasmbed/wasmbed/harness/testbed"
	wasmbedv1 "github.com/wasmbed/wasmbed/sut/api/v1alpha1"
)

// needDocker skips unless WASMBED_DOCKER_TESTS=1: these tests build images
// and run containers, which plain `go test ./...` must not need.
func needDocker(t *testing.T) {
	t.Helper()
	if !config.FromEnv().DockerTests {
		t.Skip("needs a Docker engine: set WASMBED_DOCKER_TESTS=1 to run (make test sets it where `docker info` answers; make docker-test always does)")
	}
}

// eventually waits, with Gomega's Eventually, until cond holds.
func eventually(t *testing.T, ctx context.Context, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	NewWithT(t).Eventually(ctx, cond).WithTimeout(timeout).WithPolling(100*time.Millisecond).Should(BeTrue(), "timed out after %s waiting for %s", timeout, what)
}

func TestSweepRemovesOnlyDeadOwners(t *testing.T) {
	needDocker(t)
	ctx := context.Background()
	s, err := containers.NewSession(ctx, containers.Options{RunID: "sweep-test"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close(ctx)
	cli := s.Client()
	// Read this process's token first: opening a session sweeps dead
	// owners, which would remove the container under test too early.
	self := ownerOfSelf(t)
	mk := func(owner string) string {
		res, err := cli.ContainerCreate(ctx, client.ContainerCreateOptions{
			Config: &container.Config{
				Image:  s.Images().Device.Ref,
				Cmd:    []string{"-h"},
				Labels: map[string]string{containers.LabelHarness: "true", containers.LabelOwner: owner},
			},
		})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _, _ = cli.ContainerRemove(ctx, res.ID, client.ContainerRemoveOptions{Force: true}) })
		return res.ID
	}
	dead := mk("999999999.1") // no such PID
	live := mk(self)          // this test process
	swept, err := containers.Sweep(ctx, cli, containers.SweepOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !contains(swept.Containers, dead[:12]) {
		t.Errorf("the dead owner's container %s was not swept (swept %v)", dead[:12], swept.Containers)
	}
	if contains(swept.Containers, live[:12]) {
		t.Errorf("a live owner's container %s was swept", live[:12])
	}
	if _, err := containers.SweepSelf(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := cli.ContainerInspect(ctx, live, client.ContainerInspectOptions{}); err == nil {
		t.Errorf("SweepSelf left this process's container %s", live[:12])
	}
}

// ownerOfSelf creates a throwaway labelled network to read back the owner
// token the package stamps on what this process creates.
func ownerOfSelf(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	s, err := containers.NewSession(ctx, containers.Options{RunID: "owner-probe"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close(ctx)
	nw, err := s.NewNetwork(ctx)
	if err != nil {
		t.Fatal(err)
	}
	insp, err := s.Client().NetworkInspect(ctx, nw.ID, client.NetworkInspectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return insp.Network.Labels[containers.LabelOwner]
}

func contains(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

// TestSUTAndDevicesAsContainers runs the gateway and the controller as
// containers against a local control plane, enrols a device running as a
// container on a Docker network, and applies the network faults.
func TestSUTAndDevicesAsContainers(t *testing.T) {
	needDocker(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cfg := config.FromEnv()
	cfg.Cluster, cfg.Devices = "local", "process"
	suite, err := env.Boot(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer suite.Stop(context.Background())
	e, err := suite.NewEnv(ctx, "containers-e2e")
	if err != nil {
		t.Fatal(err)
	}
	failed := true
	defer func() {
		if kept, err := e.Close(context.Background(), failed || t.Failed()); kept != "" || err != nil {
			t.Logf("artifacts: %s (cleanup: %v)", kept, err)
		}
		if swept, _ := containers.SweepSelf(context.Background()); len(swept.Containers)+len(swept.Networks) > 0 {
			t.Errorf("leaked past Env.Close: %+v", swept)
		}
	}()
	s, err := containers.ForEnv(ctx, e)
	if err != nil {
		t.Fatal(err)
	}
	tb, err := testbed.New(ctx, e, testbed.Options{
		SUT:      sutproc.Options{Launcher: s.SUTLauncher()},
		Backend:  "containers",
		Backends: s.Backends(),
	})
	if err != nil {
		t.Fatal(err)
	}
	phase := func(name string) wasmbedv1.DevicePhase {
		p, _ := e.Observe().DevicePhase(name)(ctx)
		return p
	}
	start := time.Now()
	d, err := tb.NewDevice(ctx, "ctr-1", testbed.DeviceOptions{Token: true})
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, ctx, 60*time.Second, "ctr-1 Connected", func() bool { return phase("ctr-1") == wasmbedv1.DeviceConnected })
	t.Logf("container device enrolled and Connected in %s", time.Since(start).Round(time.Millisecond))

	f := d.Device.(containers.Faults)
	if err := f.Disconnect(ctx); err != nil {
		t.Fatal(err)
	}
	start = time.Now()
	eventually(t, ctx, 30*time.Second, "ctr-1 Disconnected after a network disconnect", func() bool { return phase("ctr-1") == wasmbedv1.DeviceDisconnected })
	t.Logf("network disconnect detected in %s (half-open: no FIN)", time.Since(start).Round(time.Millisecond))
	if err := f.Reconnect(ctx); err != nil {
		t.Fatal(err)
	}
	eventually(t, ctx, 60*time.Second, "ctr-1 Connected after reconnect", func() bool { return phase("ctr-1") == wasmbedv1.DeviceConnected })

	if err := f.Pause(ctx); err != nil {
		t.Fatal(err)
	}
	eventually(t, ctx, 30*time.Second, "ctr-1 Disconnected while paused", func() bool { return phase("ctr-1") == wasmbedv1.DeviceDisconnected })
	if err := f.Unpause(ctx); err != nil {
		t.Fatal(err)
	}
	eventually(t, ctx, 60*time.Second, "ctr-1 Connected after unpause", func() bool { return phase("ctr-1") == wasmbedv1.DeviceConnected })

	// The gateway container restarts; the device comes back by itself.
	gw := tb.SUT.Gateway("")
	if err := gw.Restart(ctx); err != nil {
		t.Fatal(err)
	}
	eventually(t, ctx, 60*time.Second, "ctr-1 Connected after a gateway container restart", func() bool { return phase("ctr-1") == wasmbedv1.DeviceConnected })
	eventually(t, ctx, 60*time.Second, "the restarted gateway container to report the device over its metrics port", func() bool {
		v, err := gw.Metric(ctx, "wasmbed_gateway_connected_devices", nil)
		return err == nil && v == 1
	})
	d.Kill()
	if d.Running() {
		t.Error("device still running after Kill")
	}
	failed = false
}
