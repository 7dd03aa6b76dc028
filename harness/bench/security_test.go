package bench

import (
	"context"
	"fmt"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/wasmbed/wasmbed/firmware/agent"
	"github.com/wasmbed/wasmbed/harness/sutproc"
	"github.com/wasmbed/wasmbed/harness/testbed"
	"github.com/wasmbed/wasmbed/sut/protocol"
)

// ackLatencies collects the heartbeat-ack latencies the in-process devices
// measure (send to ack), into the window currently open.
type ackLatencies struct {
	mu      sync.Mutex
	window  string
	samples map[string][]time.Duration
	acks    map[string]int // per device, over all windows
}

func (a *ackLatencies) add(e agent.Event) {
	if e.Kind != agent.EventHeartbeatAcked {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.samples == nil {
		a.samples, a.acks = map[string][]time.Duration{}, map[string]int{}
	}
	a.acks[e.Device]++
	if a.window != "" {
		a.samples[a.window] = append(a.samples[a.window], e.Latency)
	}
}

func (a *ackLatencies) open(window string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.window = window
}

func (a *ackLatencies) of(window string) []time.Duration {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]time.Duration(nil), a.samples[window]...)
}

func (a *ackLatencies) minAcks(devices int) int {
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(a.acks) < devices {
		return 0
	}
	least := -1
	for _, n := range a.acks {
		if least < 0 || n < least {
			least = n
		}
	}
	return least
}

// cpuWindow measures the CPU time the gateway process and this process
// (the devices) spend over a window.
type cpuWindow struct {
	gateway, devices time.Duration
}

func processCPU() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func gatewayCPU(ctx context.Context, gw *sutproc.Gateway) time.Duration {
	s, _ := gw.Metric(ctx, "process_cpu_seconds_total", nil)
	return time.Duration(s * float64(time.Second))
}

// measure keeps a window open for d and returns the CPU spent in it.
func measure(ctx context.Context, gw *sutproc.Gateway, d time.Duration) cpuWindow {
	g0, s0 := gatewayCPU(ctx, gw), processCPU()
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
	return cpuWindow{gateway: gatewayCPU(ctx, gw) - g0, devices: processCPU() - s0}
}

// BenchmarkHeartbeatAckUnderAttack measures the heartbeat-ack latency 20
// legitimate in-process devices see (device side, send to ack), first
// undisturbed, then while an attacker process holds a slowloris of 200
// connections that never finish the handshake and runs an enrolment flood
// from one address, 8 complete attempts at a time. Target: p99 under
// attack less than twice the undisturbed p99. It also reports the CPU the
// gateway, the devices' process and the attacker spent, in % of one core,
// and the attack rate reached (the attacker runs at the lowest priority; see
// startAttacker).
func BenchmarkHeartbeatAckUnderAttack(b *testing.B) {
	const (
		devices = 20
		window  = 15 * time.Second
	)
	for b.Loop() {
		e := benchSystem(b, "bench-attack")
		ctx := context.Background()
		lat := &ackLatencies{}
		tb, err := testbed.New(ctx, e, testbed.Options{
			Backend: "inprocess",
			Events:  lat.add,
			SUT: sutproc.Options{Gateways: []sutproc.GatewayOptions{{
				Name: "gw", Spec: sutproc.ScenarioTimings(), HandshakeTimeout: 2 * time.Second,
			}}},
		})
		if err != nil {
			b.Fatal(err)
		}
		var wg sync.WaitGroup
		for i := range devices {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := tb.NewDevice(ctx, fmt.Sprintf("d%02d", i), testbed.DeviceOptions{Token: true}); err != nil {
					b.Error(err)
				}
			}()
		}
		wg.Wait()
		waitFor(b, 2*time.Minute, "every device heartbeating", func() bool { return lat.minAcks(devices) >= 4 })
		gw := tb.SUT.Gateway("")

		lat.open("undisturbed")
		calmCPU := measure(ctx, gw, window)

		att, err := startAttacker(gw.Addr)
		if err != nil {
			b.Fatal(err)
		}
		lat.open("attacked")
		attackedCPU := measure(ctx, gw, window)
		lat.open("")
		rep, err := att.stop()
		if err != nil {
			b.Fatal(err)
		}

		calm, attacked := lat.of("undisturbed"), lat.of("attacked")
		if len(calm) == 0 || len(attacked) == 0 {
			b.Fatalf("no heartbeat acks measured (%d undisturbed, %d under attack)", len(calm), len(attacked))
		}
		reportLatency(b, calm, "ack")
		reportLatency(b, attacked, "ack-attacked")
		p99, p99a := percentile(calm, 99), percentile(attacked, 99)
		pct := func(d time.Duration) float64 { return 100 * d.Seconds() / window.Seconds() }
		b.ReportMetric(float64(p99a)/float64(p99), "p99-ratio")
		b.ReportMetric(float64(rep.FloodAttempts)/window.Seconds(), "flood-attempts/s")
		b.ReportMetric(float64(rep.FloodReasons[protocol.ReasonRateLimited])/window.Seconds(), "flood-rate-limited/s")
		b.ReportMetric(float64(rep.FloodClosed)/window.Seconds(), "flood-closed-at-accept/s")
		b.ReportMetric(float64(rep.SlowlorisConns), "slowloris-conns")
		b.ReportMetric(pct(calmCPU.gateway), "gateway-cpu-%")
		b.ReportMetric(pct(attackedCPU.gateway), "gateway-cpu-attacked-%")
		b.ReportMetric(pct(attackedCPU.devices), "devices-cpu-attacked-%")
		b.ReportMetric(pct(rep.CPU), "attacker-cpu-%")
		b.Logf("undisturbed p99 %s, under attack p99 %s (%.2fx; target < 2x); flood %d attempts: answered %v, %d closed at accept, %d unanswered; slowloris opened %d connections; CPU over each %s window: gateway %s then %s, devices %s then %s, attacker %s",
			p99, p99a, float64(p99a)/float64(p99), rep.FloodAttempts, rep.FloodReasons, rep.FloodClosed, rep.FloodUnanswered, rep.SlowlorisConns, window,
			calmCPU.gateway.Round(time.Millisecond), attackedCPU.gateway.Round(time.Millisecond),
			calmCPU.devices.Round(time.Millisecond), attackedCPU.devices.Round(time.Millisecond), rep.CPU.Round(time.Millisecond))
	}
}
