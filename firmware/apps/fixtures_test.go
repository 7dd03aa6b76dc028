package apps

import (
	"testing"
	"time"

	fixtures "github.com/wasmbed/wasmbed/fixtures/apps"
	"github.com/wasmbed/wasmbed/sut/abi"
)

// TestFixtureCatalogMatchesRuntime deploys every fixture as its catalogue
// entry suggests and checks the outcome the entry promises, so scenarios
// can rely on it.
func TestFixtureCatalogMatchesRuntime(t *testing.T) {
	e := newEnv(t, Options{})
	for _, fx := range fixtures.All() {
		t.Run(string(fx.Name), func(t *testing.T) {
			spec := specFor(string(fx.Name), fx.Name)
			spec.RestartPolicy = RestartNever
			spec.Limits.MaxExecution = 100 * time.Millisecond
			if fx.Name == fixtures.Recursion {
				spec.Limits.MaxExecution = 20 * time.Second // let the stack overflow first
			}
			err := e.install(spec, fx.Name)
			if fx.RefusedAtInstall {
				if abi.ReasonOf(err) != fx.Reason {
					t.Fatalf("Install: %v, want %s", err, fx.Reason)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			switch {
			case fx.Reason != "":
				if st := e.waitState(spec.Name, StateFailed); st.Reason != fx.Reason {
					t.Errorf("failed with %s (%s), want %s", st.Reason, st.LastError, fx.Reason)
				}
			case fx.Name == fixtures.WASIHello: // a command: it completes
				e.waitState(spec.Name, StateStopped)
			default:
				e.waitState(spec.Name, StateRunning)
			}
			if fx.LogLine != "" {
				e.waitOutput(spec.Name, fx.LogLine, 1)
			}
		})
	}
}
