package bench

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/wasmbed/wasmbed/harness/config"

	"github.com/wasmbed/wasmbed/harness/fleet"
	"github.com/wasmbed/wasmbed/harness/testbed"
	wasmbedv1 "github.com/wasmbed/wasmbed/sut/api/v1alpha1"
)

// BenchmarkQEMUBootToConnected boots one guest per profile five times and
// reports, per profile, the p50 time from powering QEMU on to the Device
// reading Connected (the first boot also enrols). Targets: arm64 ≤ 3 s,
// riscv64 ≤ 5 s, x86_64 ≤ 5 s.
func BenchmarkQEMUBootToConnected(b *testing.B) {
	const boots = 5
	for b.Loop() {
		e := benchSystem(b, "bench-qemu-boot")
		ctx := context.Background()
		tb, err := testbed.New(ctx, e, testbed.Options{Backend: "qemu"})
		if err != nil {
			b.Fatal(err)
		}
		for _, profile := range []string{"arm64-virt", "riscv64-virt", "x86_64-microvm"} {
			name := strings.ReplaceAll(strings.Split(profile, "-v")[0], "_", "-")
			d, err := tb.NewDevice(ctx, name, testbed.DeviceOptions{Token: true, Profile: profile})
			if err != nil {
				b.Fatal(err)
			}
			phase := func() wasmbedv1.DevicePhase {
				p, _ := e.Observe().DevicePhase(name)(ctx)
				return p
			}
			waitFor(b, 2*time.Minute, name+" Connected", func() bool { return phase() == wasmbedv1.DeviceConnected })
			g := d.Device.(*fleet.QEMUDevice)
			var samples []time.Duration
			for range boots {
				g.Kill()
				waitFor(b, time.Minute, name+" Disconnected", func() bool { return phase() != wasmbedv1.DeviceConnected })
				start := time.Now()
				if err := g.Start(ctx); err != nil {
					b.Fatal(err)
				}
				waitFor(b, 2*time.Minute, name+" Connected", func() bool { return phase() == wasmbedv1.DeviceConnected })
				samples = append(samples, time.Since(start))
			}
			b.ReportMetric(float64(percentile(samples, 50).Milliseconds()), profile+"-p50-ms")
			b.ReportMetric(float64(samples[len(samples)-1].Milliseconds()), profile+"-last-ms")
			if err := g.Stop(ctx); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkQEMUIdleCapacity adds idle guests one at a time (profiles
// cycling) while every guest started so far stays Connected, and reports
// how many there were and the RSS per guest. It stops at the first guest
// that does not connect, at the first earlier guest that drops, or at
// WASMBED_QEMU_MAX guests (default 16), so the figure is "at least" when it
// hits the cap.
func BenchmarkQEMUIdleCapacity(b *testing.B) {
	limit := config.FromEnv().QEMUMax
	for b.Loop() {
		e := benchSystem(b, "bench-qemu-capacity")
		ctx := context.Background()
		tb, err := testbed.New(ctx, e, testbed.Options{Backend: "qemu"})
		if err != nil {
			b.Fatal(err)
		}
		var guests []*fleet.QEMUDevice
		capped := true
		for i := range limit {
			name := fmt.Sprintf("idle-%02d", i)
			d, err := tb.NewDevice(ctx, name, testbed.DeviceOptions{Token: true})
			if err != nil {
				b.Logf("guest %d did not boot: %v", i, err)
				capped = false
				break
			}
			if err := tb.WaitConnected(ctx, 2*time.Minute, name); err != nil {
				b.Logf("guest %d did not connect: %v", i, err)
				capped = false
				break
			}
			guests = append(guests, d.Device.(*fleet.QEMUDevice))
			c, _ := e.Observe().PhaseCounts()(ctx)
			if c[wasmbedv1.DeviceConnected] != len(guests) {
				b.Logf("an earlier guest dropped after guest %d connected: %v", i, c)
				guests = guests[:len(guests)-1]
				capped = false
				break
			}
		}
		var rss int64
		for _, g := range guests {
			rss += rssKiB(g.Guest().PID())
		}
		b.ReportMetric(float64(len(guests)), "guests-connected")
		if len(guests) > 0 {
			b.ReportMetric(float64(rss)/1024/float64(len(guests)), "MiB-rss/guest")
		}
		if capped {
			b.Logf("reached the cap of %d guests (WASMBED_QEMU_MAX); the machine may hold more", limit)
		}
	}
}

// rssKiB reads a process's resident set size.
func rssKiB(pid int) int64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			f := strings.Fields(rest)
			if len(f) > 0 {
				v, _ := strconv.ParseInt(f[0], 10, 64)
				return v
			}
		}
	}
	return 0
}
