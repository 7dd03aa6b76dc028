package bench

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/wasmbed/wasmbed/firmware/agent"
	fixtures "github.com/wasmbed/wasmbed/fixtures/apps"
	"github.com/wasmbed/wasmbed/harness/appspec"
	"github.com/wasmbed/wasmbed/harness/testbed"
	wasmbedv1 "github.com/wasmbed/wasmbed/sut/api/v1alpha1"
)

func BenchmarkDeployLatency1(b *testing.B)   { benchDeploy(b, 1) }
func BenchmarkDeployLatency100(b *testing.B) { benchDeploy(b, 100) }

// benchDeploy connects n in-process devices, then creates an Application
// targeting all of them (what `kubectl apply` does) and reports, per
// device, the time from the create to the app Running on the device, as
// the device's runtime reports it. It also reports the time until the
// Application's phase reads Running. Target: p99 ≤ 1 s for 100 devices.
func benchDeploy(b *testing.B, n int) {
	for b.Loop() {
		e := benchSystem(b, fmt.Sprintf("bench-deploy-%d", n))
		ctx := context.Background()
		var mu sync.Mutex
		running := map[string]time.Time{}
		tb, err := testbed.New(ctx, e, testbed.Options{Backend: "inprocess", Events: func(ev agent.Event) {
			if ev.Kind == agent.EventAppState && ev.App == "bench" && ev.Message == string(wasmbedv1.AppRunning) {
				mu.Lock()
				if _, seen := running[ev.Device]; !seen {
					running[ev.Device] = ev.Time
				}
				mu.Unlock()
			}
		}})
		if err != nil {
			b.Fatal(err)
		}
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := tb.NewDevice(ctx, fmt.Sprintf("d%03d", i), testbed.DeviceOptions{Token: true}); err != nil {
					b.Error(err)
				}
			}()
		}
		wg.Wait()
		waitFor(b, 3*time.Minute, "devices Connected", func() bool {
			c, _ := e.Observe().PhaseCounts()(ctx)
			return c[wasmbedv1.DeviceConnected] == n
		})
		names := make([]string, n)
		for i := range n {
			names[i] = fmt.Sprintf("d%03d", i)
		}
		app := appspec.FromFixture(e.Namespace, "bench", fixtures.Hello, appspec.Options{Devices: names})
		start := time.Now()
		if err := e.Client.Create(ctx, app); err != nil {
			b.Fatal(err)
		}
		waitFor(b, 2*time.Minute, "the app Running on every device", func() bool {
			mu.Lock()
			defer mu.Unlock()
			return len(running) == n
		})
		waitFor(b, time.Minute, "the Application Running", func() bool {
			p, _ := e.Observe().AppPhase("bench")(ctx)
			return p == wasmbedv1.AppPhaseRunning
		})
		phaseRunning := time.Since(start)
		var lat []time.Duration
		mu.Lock()
		for _, t := range running {
			lat = append(lat, t.Sub(start))
		}
		mu.Unlock()
		reportLatency(b, lat, "deploy")
		b.ReportMetric(float64(phaseRunning.Milliseconds()), "app-phase-running-ms")
	}
}
