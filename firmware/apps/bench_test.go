package apps

import (
	"context"
	"testing"
	"time"
)

// BenchmarkHostCall measures the cost of crossing between Go and a guest,
// with wazero's compiler and interpreter:
//
//   - guest-to-host: the guest calls a trivial host function (yield) in a
//     loop; ns/op is one host-function round trip from the guest.
//   - go-to-guest-to-host: Go calls an export that calls yield once and
//     returns, through a plain context; ns/op is the bare wazero round
//     trip.
//   - device-call: the same through the runtime's call path, which adds
//     the per-call deadline, the instance context and the memory guard:
//     the real cost of one tick or delivery that makes one host call.
func BenchmarkHostCall(b *testing.B) {
	for _, engine := range []struct {
		name   string
		interp bool
	}{{"compiler", false}, {"interpreter", true}} {
		b.Run(engine.name, func(b *testing.B) {
			p := newProbe(b, Options{Interpreter: engine.interp}, func(s *Spec) { s.Limits.MaxExecution = time.Hour })
			loop := p.in.mod.ExportedFunction("bench_yield")
			once := p.in.mod.ExportedFunction("p_yield")

			b.Run("guest-to-host", func(b *testing.B) {
				b.ReportAllocs()
				if _, err := p.in.call("bench_yield", loop, uint64(b.N)); err != nil {
					b.Fatal(err)
				}
			})
			b.Run("go-to-guest-to-host", func(b *testing.B) {
				ctx := context.WithValue(context.Background(), instanceKey{}, p.in)
				b.ReportAllocs()
				for b.Loop() {
					if _, err := once.Call(ctx); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run("device-call", func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					if _, err := p.in.call("p_yield", once); err != nil {
						b.Fatal(err)
					}
				}
			})
		})
	}
}
