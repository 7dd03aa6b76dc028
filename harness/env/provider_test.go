package env

import (
	"context"
	"testing"

	"github.com/wasmbed/wasmbed/harness/cluster/kind"
	"github.com/wasmbed/wasmbed/harness/config"
)

// The kind provider takes its settings from the configuration the suite
// parsed, flags included, not from a second read of the environment.
func TestKindProviderFollowsTheConfiguration(t *testing.T) {
	t.Setenv("WASMBED_KEEP_CLUSTER", "false")
	t.Setenv("WASMBED_KIND_NODE_IMAGE", "")
	cfg := config.FromEnv()
	cfg.Cluster, cfg.KeepCluster, cfg.KindNodeImage = "kind", true, "example/node:v1"
	p, err := Provider(cfg)
	if err != nil {
		t.Fatal(err)
	}
	kp, ok := p.(kind.Provider)
	if !ok {
		t.Fatalf("provider %T, want kind.Provider", p)
	}
	if !kp.Reuse {
		t.Error("-wasmbed.keep-cluster did not reach the kind provider")
	}
	img, err := kp.NodeImage(context.Background(), nil)
	if err != nil || img.Ref != "example/node:v1" || !img.DefaultCNI {
		t.Errorf("node image %+v err=%v, want the configured one, with kind's own CNI", img, err)
	}
}
