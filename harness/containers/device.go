package containers

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/wasmbed/wasmbed/firmware/flash"
	"github.com/wasmbed/wasmbed/harness/fleet"
)

// DeviceBackend runs each device as a firmware container on one session
// network. It implements fleet.Backend under the name "containers".
type DeviceBackend struct {
	s  *Session
	nw *Network

	mu      sync.Mutex
	devices []*Device
}

// NewDeviceBackend creates the backend's Docker network.
func (s *Session) NewDeviceBackend(ctx context.Context) (*DeviceBackend, error) {
	nw, err := s.NewNetwork(ctx)
	if err != nil {
		return nil, err
	}
	return &DeviceBackend{s: s, nw: nw}, nil
}

// Name implements fleet.Backend.
func (*DeviceBackend) Name() string { return "containers" }

// Network is the Docker network the devices are on.
func (b *DeviceBackend) Network() *Network { return b.nw }

// Launch implements fleet.Backend: it provisions the device's flash (a
// host directory), creates its container and starts it.
func (b *DeviceBackend) Launch(ctx context.Context, spec fleet.Spec) (fleet.Device, error) {
	d, err := b.Prepare(ctx, spec)
	if err != nil {
		return nil, err
	}
	return d, d.Start(ctx)
}

// Prepare provisions and creates a device without starting it.
func (b *DeviceBackend) Prepare(ctx context.Context, spec fleet.Spec) (*Device, error) {
	spec, err := spec.WithFlash()
	if err != nil {
		return nil, err
	}
	rl, err := newRelay(b.nw.Gateway, spec.Gateway)
	if err != nil {
		return nil, fmt.Errorf("relay for device %s on %s: %w", spec.Name, b.nw.Gateway, err)
	}
	c, err := b.s.Create(ctx, Spec{
		Name:  "device-" + spec.Name,
		Role:  "device",
		Image: b.s.images.Device.Ref,
		Cmd: []string{
			"-flash=/flash", "-gateway=" + rl.Addr(), "-name=" + spec.Name,
			"-profile=" + spec.Profile, "-backoff-max=" + spec.BackoffMax.String(),
		},
		// The firmware writes its flash as the harness's user, so the
		// harness can read and reset it like a process device's.
		User:    strconv.Itoa(os.Getuid()) + ":" + strconv.Itoa(os.Getgid()),
		Network: b.nw,
		Aliases: []string{spec.Name},
		Binds:   []string{spec.FlashDir + ":/flash"},
		LogDir:  spec.LogDir,
	})
	if err != nil {
		rl.Close()
		return nil, err
	}
	d := &Device{spec: spec, c: c, relay: rl}
	b.mu.Lock()
	b.devices = append(b.devices, d)
	b.mu.Unlock()
	return d, nil
}

// Close implements fleet.Backend: it removes every device container, its
// relay and the network.
func (b *DeviceBackend) Close(ctx context.Context) error {
	b.mu.Lock()
	ds := b.devices
	b.devices = nil
	b.mu.Unlock()
	var first error
	for _, d := range ds {
		if err := d.c.remove(ctx); err != nil && first == nil {
			first = err
		}
		d.relay.Close()
	}
	if err := b.nw.remove(ctx); err != nil && first == nil {
		first = err
	}
	return first
}

// Device is a firmware container. It implements fleet.Device and adds the
// container-level faults.
type Device struct {
	spec  fleet.Spec
	c     *Container
	relay *relay
}

// Name implements fleet.Device.
func (d *Device) Name() string { return d.spec.Name }

// Spec returns the launch spec (Gateway is the address first given;
// Redirect changes only where the relay forwards).
func (d *Device) Spec() fleet.Spec { return d.spec }

// Container is the device's container.
func (d *Device) Container() *Container { return d.c }

// Start implements fleet.Device: it starts the container again, with the
// same flash.
func (d *Device) Start(ctx context.Context) error { return d.c.Start(ctx) }

// Stop implements fleet.Device: SIGTERM, then SIGKILL after 5 s.
func (d *Device) Stop(context.Context) error { return d.c.Stop(5 * time.Second) }

// Kill implements fleet.Device: SIGKILL, as a power cut.
func (d *Device) Kill() { d.c.Kill() }

// Running implements fleet.Device.
func (d *Device) Running() bool { return !d.c.Exited() }

// Flash implements fleet.Device.
func (d *Device) Flash() flash.Store { return flash.Dir(d.spec.FlashDir) }

// Log implements fleet.Device.
func (d *Device) Log() string {
	b, _ := os.ReadFile(d.c.LogPath())
	return string(b)
}

// Redirect implements fleet.Device: the device's next connection goes to
// addr (its relay's target changes; the container keeps dialling the
// relay).
func (d *Device) Redirect(addr string) { d.relay.SetTarget(addr) }

// Disconnect takes the device off its network without a FIN: the gateway
// sees a half-open link.
func (d *Device) Disconnect(ctx context.Context) error { return d.c.Disconnect(ctx) }

// Reconnect puts the device back on its network.
func (d *Device) Reconnect(ctx context.Context) error { return d.c.Reconnect(ctx) }

// Pause freezes the device.
func (d *Device) Pause(ctx context.Context) error { return d.c.Pause(ctx) }

// Unpause thaws the device.
func (d *Device) Unpause(ctx context.Context) error { return d.c.Unpause(ctx) }

// Faults is what container devices add to fleet.Device; specs reach it
// with a type assertion on testbed.Device.Device.
type Faults interface {
	Disconnect(ctx context.Context) error
	Reconnect(ctx context.Context) error
	Pause(ctx context.Context) error
	Unpause(ctx context.Context) error
}

var (
	_ fleet.Backend = (*DeviceBackend)(nil)
	_ fleet.Device  = (*Device)(nil)
	_ Faults        = (*Device)(nil)
)
