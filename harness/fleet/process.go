package fleet

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/wasmbed/wasmbed/firmware/flash"
	"github.com/wasmbed/wasmbed/harness/proc"
)

// ProcessBackend runs each device as a firmware process.
type ProcessBackend struct {
	// Binary is the firmware executable.
	Binary string

	mu      sync.Mutex
	devices []*ProcessDevice
}

// Name implements Backend.
func (*ProcessBackend) Name() string { return "process" }

// Launch implements Backend.
func (b *ProcessBackend) Launch(ctx context.Context, spec Spec) (Device, error) {
	d, err := b.Prepare(spec)
	if err != nil {
		return nil, err
	}
	return d, d.Start(ctx)
}

// Prepare provisions a device without starting it.
func (b *ProcessBackend) Prepare(spec Spec) (*ProcessDevice, error) {
	spec, err := spec.WithFlash()
	if err != nil {
		return nil, err
	}
	d := &ProcessDevice{spec: spec, bin: b.Binary}
	b.mu.Lock()
	b.devices = append(b.devices, d)
	b.mu.Unlock()
	return d, nil
}

// Close implements Backend.
func (b *ProcessBackend) Close(context.Context) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, d := range b.devices {
		d.Kill()
	}
	return nil
}

// ProcessDevice is a device running as a firmware process.
type ProcessDevice struct {
	spec Spec
	bin  string
	mu   sync.Mutex
	p    *proc.Process
}

// Name implements Device.
func (d *ProcessDevice) Name() string { return d.spec.Name }

// Spec returns the launch spec.
func (d *ProcessDevice) Spec() Spec { return d.spec }

// Redirect implements Device. A firmware process reads its gateway address
// at boot, so it takes effect at the next Start.
func (d *ProcessDevice) Redirect(addr string) {
	d.mu.Lock()
	d.spec.Gateway = addr
	d.mu.Unlock()
}

// Start implements Device.
func (d *ProcessDevice) Start(context.Context) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.p != nil && !d.p.Exited() {
		return fmt.Errorf("device %s already running", d.spec.Name)
	}
	p, err := proc.Start(proc.Spec{
		Name: "device-" + d.spec.Name,
		Path: d.bin,
		Args: []string{
			"-flash=" + d.spec.FlashDir, "-gateway=" + d.spec.Gateway, "-name=" + d.spec.Name,
			"-profile=" + d.spec.Profile, "-backoff-max=" + d.spec.BackoffMax.String(),
		},
		LogDir: d.spec.LogDir,
	})
	if err != nil {
		return err
	}
	d.p = p
	return nil
}

// Stop implements Device.
func (d *ProcessDevice) Stop(context.Context) error {
	d.mu.Lock()
	p := d.p
	d.mu.Unlock()
	if p == nil {
		return nil
	}
	return p.Stop(5 * time.Second)
}

// Kill implements Device: SIGKILL, as a power cut.
func (d *ProcessDevice) Kill() {
	d.mu.Lock()
	p := d.p
	d.mu.Unlock()
	if p != nil {
		p.Kill()
	}
}

// Running implements Device.
func (d *ProcessDevice) Running() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.p != nil && !d.p.Exited()
}

// PID is the firmware process id, or 0.
func (d *ProcessDevice) PID() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.p == nil || d.p.Exited() {
		return 0
	}
	return d.p.PID()
}

// Flash implements Device.
func (d *ProcessDevice) Flash() flash.Store { return flash.Dir(d.spec.FlashDir) }

// Log implements Device.
func (d *ProcessDevice) Log() string {
	b, _ := os.ReadFile(filepath.Join(d.spec.LogDir, "device-"+d.spec.Name+".log"))
	return string(b)
}
