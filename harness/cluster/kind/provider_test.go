package kind_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/wasmbed/wasmbed/harness/config"

	"github.com/wasmbed/wasmbed/harness/cluster"
	"github.com/wasmbed/wasmbed/harness/cluster/kind"
	"github.com/wasmbed/wasmbed/harness/kindnode"
	"github.com/wasmbed/wasmbed/harness/progress"
	"github.com/wasmbed/wasmbed/harness/workspace"
)

// TestCreate brings up a kind cluster with the SUT and prints how long it
// took; on an engine that refuses privileged containers it checks that
// the provider says so with the engine's own error.
func TestCreate(t *testing.T) {
	cfg := config.FromEnv()
	if !cfg.DockerTests {
		t.Skip("needs a Docker engine: set WASMBED_DOCKER_TESTS=1 to run (make test sets it where `docker info` answers; make docker-test always does)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Minute)
	defer cancel()
	pr := progress.Stderr("kind-test")
	p := kind.Provider{NodeImage: func(ctx context.Context, pr cluster.Progress) (string, bool, error) {
		if cfg.KindNodeImage != "" {
			return cfg.KindNodeImage, true, nil
		}
		ref, err := kindnode.Ensure(ctx, kindnode.Options{Progress: pr})
		return ref, false, err
	}}
	start := time.Now()
	c, err := p.Create(ctx, cluster.CreateOptions{Name: "wasmbed-test", CRDDir: workspace.MustRoot() + "/sut/config/crd", Progress: pr})
	var unsupported *kind.Unsupported
	if errors.As(err, &unsupported) {
		t.Logf("this engine cannot run kind; the provider refuses with:\n%v", err)
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	defer c.Stop(context.Background())
	t.Logf("kind cluster with the SUT ready in %s; gateway at %s", time.Since(start).Round(time.Millisecond), c.Capabilities().GatewayEndpoint)
}
