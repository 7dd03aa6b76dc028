package qemu

import (
	"context"
	"fmt"
	"os"
	"slices"
	"testing"
	"time"

	qi "github.com/wasmbed/wasmbed/qemu-images"
)

// BenchmarkBootToFirstByte measures, per profile, the time from QEMU start
// to the firmware's first byte on the data line (its READY frame), over
// five cold boots (power cut, power on) of the boot-test image, one guest
// at a time, and prints the median:
//
//	WASMBED_QEMU_TESTS=1 go test -run '^$' -bench BootToFirstByte -benchtime 1x ./harness/qemu/
func BenchmarkBootToFirstByte(b *testing.B) {
	requireQEMU(b)
	ctx := context.Background()
	for _, p := range qi.Profiles() {
		b.Run(p.Name, func(b *testing.B) {
			f := testFleet(b, echoServer(b), 1)
			devs, err := f.Start(ctx, Spec{Name: "bench-" + p.Name, Profile: p.Name})
			if err != nil {
				b.Fatal(err)
			}
			d := devs[0]
			times := []time.Duration{d.BootTime()}
			for len(times) < 5 {
				if err := d.PowerCycle(ctx); err != nil {
					b.Fatal(err)
				}
				times = append(times, d.BootTime())
			}
			slices.Sort(times)
			p50 := times[len(times)/2]
			b.ReportMetric(p50.Seconds(), "s-p50")
			accel, _ := d.Accel()
			fmt.Fprintf(os.Stderr, "boot-to-first-byte %-15s %s p50 %s  (min %s, max %s, 5 boots)\n",
				p.Name, accel, p50.Round(time.Millisecond), times[0].Round(time.Millisecond), times[len(times)-1].Round(time.Millisecond))
		})
	}
}
