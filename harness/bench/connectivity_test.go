package bench

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	. "github.com/onsi/gomega"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/wasmbed/wasmbed/firmware/agent"
	"github.com/wasmbed/wasmbed/harness/sutproc"
	"github.com/wasmbed/wasmbed/harness/testbed"
	"github.com/wasmbed/wasmbed/harness/tokens"
	wasmbedv1 "github.com/wasmbed/wasmbed/sut/api/v1alpha1"
)

// events collects device events by kind.
type events struct {
	mu  sync.Mutex
	got map[agent.EventKind][]agent.Event
}

func (ev *events) add(e agent.Event) {
	ev.mu.Lock()
	defer ev.mu.Unlock()
	if ev.got == nil {
		ev.got = map[agent.EventKind][]agent.Event{}
	}
	ev.got[e.Kind] = append(ev.got[e.Kind], e)
}

func (ev *events) of(k agent.EventKind) []agent.Event {
	ev.mu.Lock()
	defer ev.mu.Unlock()
	return append([]agent.Event(nil), ev.got[k]...)
}

// waitFor waits, with Gomega's Eventually, until cond holds.
func waitFor(b *testing.B, timeout time.Duration, what string, cond func() bool) {
	b.Helper()
	NewWithT(b).Eventually(cond).WithTimeout(timeout).WithPolling(20*time.Millisecond).Should(BeTrue(), "timed out after %s waiting for %s", timeout, what)
}

// BenchmarkEnrollment100 enrols 100 in-process devices at once with
// one-time tokens and reports the enrolment latency each device measured,
// from dialling the gateway to holding its certificate. Target: p99 ≤ 100 ms.
func BenchmarkEnrollment100(b *testing.B) {
	const n = 100
	for b.Loop() {
		e := benchSystem(b, "bench-enrol")
		ctx := context.Background()
		ev := &events{}
		tb, err := testbed.New(ctx, e, testbed.Options{Backend: "inprocess", Events: ev.add})
		if err != nil {
			b.Fatal(err)
		}
		toks := make([]string, n)
		for i := range n {
			if toks[i], err = tokens.Create(ctx, e.Client, e.Namespace, tokens.Options{DeviceName: fmt.Sprintf("d%03d", i)}); err != nil {
				b.Fatal(err)
			}
		}
		if _, err := tb.CABundle(ctx); err != nil {
			b.Fatal(err)
		}
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := tb.NewDevice(ctx, fmt.Sprintf("d%03d", i), testbed.DeviceOptions{TokenValue: toks[i]}); err != nil {
					b.Error(err)
				}
			}()
		}
		wg.Wait()
		waitFor(b, 2*time.Minute, "100 enrolments", func() bool { return len(ev.of(agent.EventEnrolled)) >= n })
		var lat []time.Duration
		for _, e := range ev.of(agent.EventEnrolled) {
			lat = append(lat, e.Latency)
		}
		refused := len(ev.of(agent.EventEnrollRefused))
		reportLatency(b, lat, "enrol")
		b.ReportMetric(float64(refused), "refused")
	}
}

// BenchmarkDisconnectDetection blackholes 20 connected devices' links, one
// at a time, so each session goes half-open (no FIN), and reports how long
// the gateway took to mark each Disconnected. The bound is the heartbeat
// timeout plus one interval (2.5 s with the scenario timings).
func BenchmarkDisconnectDetection(b *testing.B) {
	const trials = 20
	for b.Loop() {
		e := benchSystem(b, "bench-disconnect")
		ctx := context.Background()
		tb, err := testbed.New(ctx, e, testbed.Options{Backend: "inprocess"})
		if err != nil {
			b.Fatal(err)
		}
		devs := make([]*testbed.Device, trials)
		for i := range trials {
			if devs[i], err = tb.NewDevice(ctx, fmt.Sprintf("d%02d", i), testbed.DeviceOptions{Token: true}); err != nil {
				b.Fatal(err)
			}
		}
		phase := func(name string) wasmbedv1.DevicePhase {
			p, _ := e.Observe().DevicePhase(name)(ctx)
			return p
		}
		for _, d := range devs {
			waitFor(b, time.Minute, d.Name()+" Connected", func() bool { return phase(d.Name()) == wasmbedv1.DeviceConnected })
		}
		timings := sutproc.ScenarioTimings()
		bound := timings.HeartbeatTimeout.Duration + timings.HeartbeatInterval.Duration
		var lat []time.Duration
		for _, d := range devs {
			start := time.Now()
			if err := d.Link.Blackhole(); err != nil {
				b.Fatal(err)
			}
			waitFor(b, 10*time.Second, d.Name()+" Disconnected", func() bool { return phase(d.Name()) == wasmbedv1.DeviceDisconnected })
			lat = append(lat, time.Since(start))
			d.Kill()
		}
		reportLatency(b, lat, "detect")
		b.ReportMetric(float64(bound.Milliseconds()), "bound-ms")
		over := 0
		for _, l := range lat {
			if l > bound {
				over++
			}
		}
		b.ReportMetric(float64(over), "over-bound")
	}
}

// BenchmarkSteadyStateWrites connects 100 in-process devices with the
// production defaults (heartbeat 10 s, status flush 60 s), lets them settle,
// and counts the API server's write requests on devices over two minutes,
// read from its own apiserver_request_total metric. Target: ≤ 1 write per
// device per minute.
func BenchmarkSteadyStateWrites(b *testing.B) {
	const n = 100
	const window = 2 * time.Minute
	for b.Loop() {
		e := benchSystem(b, "bench-writes")
		ctx := context.Background()
		tb, err := testbed.New(ctx, e, testbed.Options{
			Backend: "inprocess",
			SUT: sutproc.Options{Gateways: []sutproc.GatewayOptions{{Name: "gw", Spec: wasmbedv1.GatewaySpec{
				HeartbeatInterval: &metav1.Duration{Duration: 10 * time.Second}, HeartbeatTimeout: &metav1.Duration{Duration: 30 * time.Second},
				StatusFlushInterval: &metav1.Duration{Duration: 60 * time.Second},
			}}}},
		})
		if err != nil {
			b.Fatal(err)
		}
		for i := range n {
			if _, err := tb.NewDevice(ctx, fmt.Sprintf("d%03d", i), testbed.DeviceOptions{Token: true}); err != nil {
				b.Fatal(err)
			}
		}
		waitFor(b, 3*time.Minute, "100 devices Connected", func() bool {
			c, _ := e.Observe().PhaseCounts()(ctx)
			return c[wasmbedv1.DeviceConnected] == n
		})
		// Let enrolment's writes and the controller's condition updates
		// finish before the window opens.
		time.Sleep(15 * time.Second) //nolint:forbidigo // a settling period before a measurement window, not synchronisation
		before, err := deviceWrites(ctx, e)
		if err != nil {
			b.Fatal(err)
		}
		time.Sleep(window) //nolint:forbidigo // the measurement window itself
		after, err := deviceWrites(ctx, e)
		if err != nil {
			b.Fatal(err)
		}
		perDevMin := (after - before) / n / window.Minutes()
		b.ReportMetric(after-before, "writes")
		b.ReportMetric(perDevMin, "writes/device/min")
	}
}
