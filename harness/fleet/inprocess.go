package fleet

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/wasmbed/wasmbed/firmware/agent"
	"github.com/wasmbed/wasmbed/firmware/device"
	"github.com/wasmbed/wasmbed/firmware/flash"
)

// InProcessBackend runs devices as agents inside the harness process: the
// same firmware library, real TCP and TLS, without a process per device.
// It is how a 2-core machine hosts fleets of hundreds.
type InProcessBackend struct {
	// Events, if set, receives every device's events.
	Events func(agent.Event)
	// TickInterval is the apps' default tick period.
	TickInterval time.Duration

	mu      sync.Mutex
	devices []*InProcessDevice
}

// Name implements Backend.
func (*InProcessBackend) Name() string { return "inprocess" }

// Launch implements Backend.
func (b *InProcessBackend) Launch(ctx context.Context, spec Spec) (Device, error) {
	spec, err := spec.WithFlash()
	if err != nil {
		return nil, err
	}
	d := &InProcessDevice{spec: spec, backend: b}
	b.mu.Lock()
	b.devices = append(b.devices, d)
	b.mu.Unlock()
	return d, d.Start(ctx)
}

// Close implements Backend.
func (b *InProcessBackend) Close(ctx context.Context) error {
	b.mu.Lock()
	devs := b.devices
	b.mu.Unlock()
	for _, d := range devs {
		_ = d.Stop(ctx)
	}
	return nil
}

// InProcessDevice is an agent running in the harness process.
type InProcessDevice struct {
	spec    Spec
	backend *InProcessBackend

	mu     sync.Mutex
	cancel context.CancelFunc
	done   chan struct{}
	logF   *os.File
	dev    *device.Device
}

// Name implements Device.
func (d *InProcessDevice) Name() string { return d.spec.Name }

// Device is the running device (agent and app runtime), or nil.
func (d *InProcessDevice) Device() *device.Device {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.dev
}

// Start implements Device.
func (d *InProcessDevice) Start(context.Context) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.cancel != nil {
		return fmt.Errorf("device %s already running", d.spec.Name)
	}
	prof, ok := agent.Profiles[d.spec.Profile]
	if !ok {
		return fmt.Errorf("unknown profile %q", d.spec.Profile)
	}
	logF, err := os.OpenFile(filepath.Join(d.spec.LogDir, "device-"+d.spec.Name+".log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	logger := slog.New(slog.NewTextHandler(logF, nil)).With("device", d.spec.Name)
	store := flash.Dir(d.spec.FlashDir)
	var dialer net.Dialer
	ctx, cancel := context.WithCancel(context.Background())
	dev, err := device.New(ctx, device.Config{
		Name:    d.spec.Name,
		Profile: prof,
		Store:   store,
		Dial: func(ctx context.Context) (net.Conn, error) {
			d.mu.Lock()
			addr := d.spec.Gateway
			d.mu.Unlock()
			return dialer.DialContext(ctx, "tcp", addr)
		},
		Logger:       logger,
		Events:       d.backend.Events,
		Backoff:      agent.Backoff{Initial: 100 * time.Millisecond, Max: d.spec.BackoffMax},
		TickInterval: d.backend.TickInterval,
	})
	if err != nil {
		cancel()
		logF.Close()
		return err
	}
	d.cancel, d.done, d.logF, d.dev = cancel, make(chan struct{}), logF, dev
	go func() {
		defer close(d.done)
		_ = dev.Run(ctx)
	}()
	return nil
}

// Stop implements Device.
func (d *InProcessDevice) Stop(context.Context) error {
	d.mu.Lock()
	cancel, done, logF := d.cancel, d.done, d.logF
	d.cancel, d.dev = nil, nil
	d.mu.Unlock()
	if cancel == nil {
		return nil
	}
	cancel()
	<-done
	logF.Close()
	return nil
}

// Redirect implements Device: the next dial goes to addr.
func (d *InProcessDevice) Redirect(addr string) {
	d.mu.Lock()
	d.spec.Gateway = addr
	d.mu.Unlock()
}

// Kill implements Device. An in-process agent cannot lose power mid-write,
// so Kill is a Stop; use process or QEMU devices for power-cut specs.
func (d *InProcessDevice) Kill() { _ = d.Stop(context.Background()) }

// Running implements Device.
func (d *InProcessDevice) Running() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.cancel != nil
}

// Flash implements Device.
func (d *InProcessDevice) Flash() flash.Store { return flash.Dir(d.spec.FlashDir) }

// Log implements Device.
func (d *InProcessDevice) Log() string {
	b, _ := os.ReadFile(filepath.Join(d.spec.LogDir, "device-"+d.spec.Name+".log"))
	return string(b)
}
