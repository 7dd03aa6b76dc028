package chaos

import (
	"context"
	"time"

	"github.com/wasmbed/wasmbed/harness/chaos/plan"
)

// Targets is the live system as the engine drives it. The testbed fills
// in what it can drive; a nil part makes plans that need it fail before
// they start. Every method may be called from several goroutines at once,
// for different targets.
type Targets struct {
	Links        Links
	Processes    Processes
	Etcd         Etcd
	Power        Power
	MAVLink      MAVLink
	Containers   Containers
	Clocks       Clocks
	Certificates Certificates
}

// Links are the devices' links to their gateways (harness/linkfault: one
// toxiproxy link per device).
type Links interface {
	// Cut closes every connection and refuses new ones (Link.Cut).
	Cut(ctx context.Context, device string) error
	// Restore accepts connections again (Link.Restore).
	Restore(ctx context.Context, device string) error
	// Blackhole drops every byte both ways, passing no close on.
	Blackhole(ctx context.Context, device string) error
	// Delay adds latency each way.
	Delay(ctx context.Context, device string, latency time.Duration) error
	// Reset tears connections down with RST.
	Reset(ctx context.Context, device string) error
	// Clear removes blackhole, latency and reset (Link.Clear).
	Clear(ctx context.Context, device string) error
}

// Processes are the SUT's components (harness/sutproc): a gateway by name
// or a controller replica by index, or, for the target `controller`, the
// replica that leads when the call is made.
type Processes interface {
	// Kill sends SIGKILL and returns the target it hit (the leader
	// resolved to its replica).
	Kill(ctx context.Context, t plan.Target) (plan.Target, error)
	// Stop stops gracefully (SIGTERM, then SIGKILL after a grace period)
	// and returns the target it hit.
	Stop(ctx context.Context, t plan.Target) (plan.Target, error)
	// Start starts a stopped component and waits until it is ready. A
	// component that is already running is not an error: the SUT's own
	// supervision may have restarted it first.
	Start(ctx context.Context, t plan.Target) error
}

// Etcd is the run's etcd (harness/cluster/local).
type Etcd interface {
	// Stall sends SIGSTOP.
	Stall(ctx context.Context) error
	// Resume sends SIGCONT.
	Resume(ctx context.Context) error
}

// Power is the devices' power (harness/fleet, harness/qemu).
type Power interface {
	// Cut kills the device with no clean shutdown (fleet Device.Kill).
	Cut(ctx context.Context, device string) error
	// On boots it again and returns once it runs (fleet Device.Start).
	On(ctx context.Context, device string) error
	// Reset presses a QEMU guest's reset button and waits for the
	// firmware (qemu Device.Reset).
	Reset(ctx context.Context, device string) error
}

// MAVLink is the vehicles' links to the gateway (harness/udprelay).
type MAVLink interface {
	Cut(ctx context.Context, vehicle string) error
	Restore(ctx context.Context, vehicle string) error
}

// Containers are the targets that run in containers (harness/containers):
// container devices, and the gateways and controllers of a containers SUT.
type Containers interface {
	Pause(ctx context.Context, t plan.Target) error
	Unpause(ctx context.Context, t plan.Target) error
	Disconnect(ctx context.Context, t plan.Target) error
	Reconnect(ctx context.Context, t plan.Target) error
}

// Clocks are the devices' clocks.
type Clocks interface {
	// Skew sets the device's clock; the zero Skew is true time. A QEMU
	// guest gets it as -rtc base= (at its next boot, which the
	// implementation causes); other devices through their clock offset.
	Skew(ctx context.Context, device string, s plan.Skew) error
}

// Certificates are the gateways' certificate settings.
type Certificates interface {
	// SetValidity sets the Gateway's certificateValidity and returns the
	// value it replaced (0: unset, the SUT's default), which the engine
	// sets again to heal.
	SetValidity(ctx context.Context, gateway string, validity time.Duration) (previous time.Duration, err error)
}
