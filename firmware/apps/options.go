package apps

import (
	"context"
	"log/slog"
	"time"

	"github.com/wasmbed/wasmbed/firmware/flash"
	"github.com/wasmbed/wasmbed/sut/protocol"
)

// Options configure a Manager.
type Options struct {
	// Store is the device's flash; installed apps live under
	// flash.AppsDir. Required.
	Store flash.Store

	// Features are the WebAssembly proposals the device supports, named as
	// in the Device CRD: mutable-global, sign-extension-ops,
	// nontrapping-float-to-int, multi-value, bulk-memory, reference-types,
	// simd. Empty means the WebAssembly 2.0 core set (all of them).
	Features []string

	// Interpreter forces wazero's interpreter, as on ESP32-class and
	// riscv64 devices. By default wazero compiles where it can.
	Interpreter bool

	// Logger receives the runtime's logs and the apps' own output, tagged
	// app=<name> and, for app output, stream=log|stdout|stderr. Nil
	// discards.
	Logger *slog.Logger

	// OnChange is called on every change of an app's state, in order, from
	// one goroutine; it may block briefly without stalling any app. Nil
	// ignores changes.
	OnChange func(AppStatus)

	// Publish is called when an app publishes to a topic it may publish
	// to. It runs inside the app's call, counting against its time limit,
	// so it must hand the message off rather than send it. Nil makes
	// publish return abi.ErrUnavailable.
	Publish func(app, topic string, data []byte)

	// VehicleCommand carries out an app's vehicle command and returns the
	// outcome, which the app receives on abi.TopicVehicleResult. It runs on
	// its own goroutine with a context that ends when the app stops or
	// after VehicleTimeout. Nil makes vehicle_command return
	// abi.ErrUnavailable.
	VehicleCommand func(ctx context.Context, app string, cmd protocol.VehicleCommand) protocol.VehicleCommandResult

	// Device is what device_info reports.
	Device DeviceInfo

	// TickInterval is the default tick period (config wasmbed.tick_ms
	// overrides it per app). Default 1 s.
	TickInterval time.Duration

	// Backoff shapes restart delays. Zero fields take the defaults.
	Backoff Backoff

	// VehicleTimeout bounds one vehicle command. Default 30 s.
	VehicleTimeout time.Duration
}

// DeviceInfo identifies the device to its apps (device_info).
type DeviceInfo struct {
	Name    string
	Arch    string
	Profile string
}

// Backoff is an exponential restart delay: Initial, doubling per
// consecutive restart, capped at Max. A run that lasted at least Max resets
// the delay to Initial.
type Backoff struct {
	Initial time.Duration // default 100 ms
	Max     time.Duration // default 30 s
}

// delay returns the wait before restart number n (0-based) of a streak.
func (b Backoff) delay(n int) time.Duration {
	d := b.Initial
	for i := 0; i < n && d < b.Max; i++ {
		d *= 2
	}
	return min(d, b.Max)
}

func (o Options) withDefaults() Options {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.TickInterval <= 0 {
		o.TickInterval = time.Second
	}
	if o.Backoff.Initial <= 0 {
		o.Backoff.Initial = 100 * time.Millisecond
	}
	if o.Backoff.Max <= 0 {
		o.Backoff.Max = 30 * time.Second
	}
	if o.Backoff.Max < o.Backoff.Initial {
		o.Backoff.Max = o.Backoff.Initial
	}
	if o.VehicleTimeout <= 0 {
		o.VehicleTimeout = 30 * time.Second
	}
	return o
}
