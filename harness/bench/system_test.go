package bench

import (
	"context"
	"testing"
	"time"

	"github.com/go-logr/logr"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/wasmbed/wasmbed/harness/config"
	"github.com/wasmbed/wasmbed/harness/env"
)

// benchSystem boots the environment the configuration describes (the
// WASMBED_* variables, as for the scenarios: a local control plane and the
// built SUT by default) and gives the benchmark a namespace in it. Both are
// torn down when the benchmark ends.
func benchSystem(b *testing.B, name string) *env.Env {
	b.Helper()
	ctrllog.SetLogger(logr.Discard()) // the local control plane logs through controller-runtime
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	s, err := env.Boot(ctx, config.FromEnv())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		if err := s.Stop(ctx); err != nil {
			b.Errorf("stopping the environment: %v", err)
		}
	})
	e, err := s.NewEnv(ctx, name)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		if kept, err := e.Close(ctx, b.Failed()); err != nil {
			b.Errorf("cleanup: %v", err)
		} else if kept != "" {
			b.Logf("artifacts kept in %s", kept)
		}
	})
	return e
}
