package images_test

import (
	"context"
	"testing"
	"time"

	"github.com/wasmbed/wasmbed/harness/config"

	"github.com/wasmbed/wasmbed/harness/images"
)

func needDocker(tb testing.TB) {
	tb.Helper()
	if !config.FromEnv().DockerTests {
		tb.Skip("needs a Docker engine: set WASMBED_DOCKER_TESTS=1 to run (make test sets it where `docker info` answers; make docker-test always does)")
	}
}

func TestBuildIsCachedByContent(t *testing.T) {
	needDocker(t)
	ctx := context.Background()
	first, err := images.Ensure(ctx, images.Options{})
	if err != nil {
		t.Fatal(err)
	}
	second, err := images.Ensure(ctx, images.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for i, im := range second.All() {
		if im.Built {
			t.Errorf("%s was rebuilt although its content did not change", im.Ref)
		}
		if im.Ref != first.All()[i].Ref {
			t.Errorf("unchanged %s got a new tag: %s then %s", im.Component, first.All()[i].Ref, im.Ref)
		}
	}
}

// BenchmarkBuild prints the cold (every image rebuilt) and warm (all
// cached) times of `make images`; the Go build cache is warm in both.
func BenchmarkBuild(b *testing.B) {
	needDocker(b)
	ctx := context.Background()
	for range b.N {
		start := time.Now()
		if _, err := images.Ensure(ctx, images.Options{Force: true}); err != nil {
			b.Fatal(err)
		}
		cold := time.Since(start)
		start = time.Now()
		if _, err := images.Ensure(ctx, images.Options{}); err != nil {
			b.Fatal(err)
		}
		warm := time.Since(start)
		b.ReportMetric(cold.Seconds(), "cold-s")
		b.ReportMetric(warm.Seconds(), "warm-s")
	}
}
