package bench

import (
	"context"
	"testing"
	"time"

	"github.com/wasmbed/wasmbed/harness/cluster"
	"github.com/wasmbed/wasmbed/harness/cluster/kind"
	"github.com/wasmbed/wasmbed/harness/config"
	"github.com/wasmbed/wasmbed/harness/env"
	"github.com/wasmbed/wasmbed/harness/images"
	"github.com/wasmbed/wasmbed/harness/kindnode"
	"github.com/wasmbed/wasmbed/harness/progress"
	"github.com/wasmbed/wasmbed/harness/workspace"
)

// BenchmarkKindClusterReady times the kind provider from nothing to a
// cluster with the SUT deployed and every Deployment available — the
// engine probe, the node image, kind's create, the SUT images loaded, the
// manifests applied and rolled out — in three cases:
//
//   - cold: the node image is built first (debootstrap base, the node
//     assembled; the Kubernetes binaries come from the content cache,
//     their from-source build is timed apart). Only with
//     WASMBED_BENCH_KIND_COLD=1: it removes the cached node images.
//   - warm: the node image and the SUT images are cached, no cluster.
//   - reused: a kept cluster (WASMBED_KEEP_CLUSTER) is adopted.
//
// The anchor is kind's own 12–17 s for a single-node cluster from a
// pulled image.
func BenchmarkKindClusterReady(b *testing.B) {
	ctx := context.Background()
	cfg := config.FromEnv()
	cli, err := images.Connect(ctx)
	if err != nil {
		b.Skipf("needs a Docker engine: %v", err)
	}
	defer cli.Close()
	pr := progress.Stderr("kind-bench")
	crds := workspace.MustRoot() + "/sut/config/crd"
	create := func(b *testing.B, reuse bool) (*kind.Cluster, time.Duration) {
		b.Helper()
		start := time.Now()
		c, err := kind.Provider{NodeImage: env.NodeImage(cfg.KindNodeImage), Reuse: reuse}.Create(ctx, cluster.CreateOptions{Name: "wasmbed-kind-bench", CRDDir: crds, Progress: pr})
		if err != nil {
			b.Fatal(err)
		}
		return c.(*kind.Cluster), time.Since(start)
	}
	if cfg.BenchKindCold {
		b.Run("cold", func(b *testing.B) {
			for b.Loop() {
				removed, err := kindnode.Forget(ctx, cli)
				if err != nil {
					b.Fatal(err)
				}
				pr.Printf("removed cached node images %v", removed)
				c, d := create(b, false)
				b.ReportMetric(d.Seconds(), "ready-s")
				if err := c.Stop(ctx); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("warm", func(b *testing.B) {
		for b.Loop() {
			c, d := create(b, false)
			b.ReportMetric(d.Seconds(), "ready-s")
			if err := c.Stop(ctx); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("reused", func(b *testing.B) {
		kept, _ := create(b, true) // created, or adopted if one is kept already
		if err := kept.Stop(ctx); err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			c, d := create(b, true)
			b.ReportMetric(d.Seconds(), "ready-s")
			if err := c.Stop(ctx); err != nil {
				b.Fatal(err)
			}
			kept = c
		}
		if !cfg.KeepCluster {
			if err := kept.Delete(ctx); err != nil {
				b.Errorf("delete the kept cluster: %v", err)
			}
		}
	})
}
