package bench

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/go-logr/logr"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/wasmbed/wasmbed/harness/cluster"
	"github.com/wasmbed/wasmbed/harness/cluster/local"
	"github.com/wasmbed/wasmbed/harness/progress"
	"github.com/wasmbed/wasmbed/harness/workspace"
)

// BenchmarkLocalControlPlaneStart measures how long the local provider takes
// to bring etcd, kube-apiserver and kube-controller-manager up with the CRDs
// installed, binaries already cached. Target: 3 s or less.
func BenchmarkLocalControlPlaneStart(b *testing.B) {
	ctrllog.SetLogger(logr.Discard()) // envtest logs through controller-runtime
	ctx := context.Background()
	bins, err := local.EnsureBinaries(ctx, progress.Stderr("k8s"))
	if err != nil {
		b.Fatal(err)
	}
	crds := filepath.Join(workspace.MustRoot(), "sut", "config", "crd")
	var total time.Duration
	var samples []time.Duration
	for b.Loop() {
		start := time.Now()
		c, err := local.Start(ctx, bins, cluster.CreateOptions{Name: "bench", CRDDir: crds})
		if err != nil {
			b.Fatal(err)
		}
		d := time.Since(start)
		total += d
		samples = append(samples, d)
		b.StopTimer()
		if err := c.Stop(ctx); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
	b.ReportMetric(float64(total.Milliseconds())/float64(len(samples)), "ms/start")
	b.ReportMetric(float64(percentile(samples, 50).Milliseconds()), "p50-ms")
}
