// Package testbed assembles what a scenario stands on: the SUT running in
// the spec's namespace, a device backend chosen by configuration, and a
// fault-injectable link between each device and its gateway. Specs ask the
// testbed for devices and never care whether they are processes,
// in-process agents or QEMU guests.
package testbed

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/util/wait"

	"github.com/wasmbed/wasmbed/firmware/agent"
	"github.com/wasmbed/wasmbed/harness/env"
	"github.com/wasmbed/wasmbed/harness/fleet"
	"github.com/wasmbed/wasmbed/harness/linkfault"
	"github.com/wasmbed/wasmbed/harness/observe"
	"github.com/wasmbed/wasmbed/harness/sutproc"
	"github.com/wasmbed/wasmbed/harness/timeline"
	"github.com/wasmbed/wasmbed/harness/tokens"
	wasmbedv1 "github.com/wasmbed/wasmbed/sut/api/v1alpha1"
)

// Options shape a testbed.
type Options struct {
	SUT sutproc.Options
	// Backend overrides the configured device backend ("process",
	// "inprocess", "qemu").
	Backend string
	// Backends supplies extra backends by name (the qemu one lives in its
	// own package).
	Backends map[string]func(*env.Env) (fleet.Backend, error)
	// Events receives the in-process devices' events (enrolled, heartbeat
	// acked with its latency, app state changes), for benchmarks that
	// measure on the device side.
	Events func(agent.Event)
}

// Testbed is one spec's SUT, devices and links.
type Testbed struct {
	Env     *env.Env
	SUT     *sutproc.System
	Backend fleet.Backend
	Links   *linkfault.Proxies

	faults  *timeline.Journal // faults.timeline.jsonl in the artifact folder
	mu      sync.Mutex
	devices map[string]*Device
}

// Device is a launched device and its link.
type Device struct {
	fleet.Device
	// Link is the device's proxied connection to its gateway.
	Link *linkfault.Link
	// Gateway is the gateway the link leads to.
	Gateway string
}

// ErrInClusterSUT is what New returns on a cluster that runs its own SUT
// (kind). A testbed starts a controller and gateways for its namespace;
// beside the in-cluster ones they would reconcile the same objects twice.
// Driving the in-cluster SUT instead (pods for processes, the node port for
// the gateway, pod deletion for kills) is not written: kind could not run
// where this harness was developed, and untested code would only pretend.
var ErrInClusterSUT = errors.New("not implemented: the specs cannot yet drive an in-cluster SUT " +
	"(WASMBED_CLUSTER=kind); the kind provider deploys the SUT, but the testbed that points devices " +
	"at its node port and kills its pods is unwritten — use WASMBED_CLUSTER=local, with --label-filter=containers " +
	"for the SUT as containers")

// New starts the SUT and prepares the device backend.
func New(ctx context.Context, e *env.Env, o Options) (*Testbed, error) {
	if e.Shared.InClusterSUT {
		return nil, ErrInClusterSUT
	}
	sys, err := sutproc.Start(ctx, e, o.SUT)
	if err != nil {
		return nil, err
	}
	name := o.Backend
	if name == "" {
		name = e.Config.Devices
	}
	var be fleet.Backend
	switch name {
	case "process":
		be = &fleet.ProcessBackend{Binary: e.Shared.Bins.Device}
	case "inprocess":
		be = &fleet.InProcessBackend{Events: o.Events}
	case "qemu":
		be = &fleet.QEMUBackend{Profiles: strings.Split(e.Config.QEMUProfiles, ","), ArtifactDir: e.ArtifactDir}
	default:
		mk, ok := o.Backends[name]
		if !ok {
			return nil, fmt.Errorf("device backend %q is not available to this spec", name)
		}
		if be, err = mk(e); err != nil {
			return nil, err
		}
	}
	faults, err := openFaultJournal(e)
	if err != nil {
		return nil, err
	}
	tb := &Testbed{Env: e, SUT: sys, Backend: be, Links: linkfault.New(), faults: faults, devices: map[string]*Device{}}
	tb.Links.OnFault(func(link, fault string) { faultNoter(faults, "link "+link)(fault) })
	e.Defer("stop devices and links", func(ctx context.Context) error {
		err := be.Close(ctx)
		tb.Links.Close()
		return err
	})
	return tb, nil
}

// CABundle returns the CA bundle devices are provisioned with, read from
// the CA Secret the SUT creates, waiting up to 30 s (scaled) for it.
func (tb *Testbed) CABundle(ctx context.Context) ([]byte, error) {
	var ca *observe.CA
	var last error
	err := wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, tb.Env.Config.Scale(30*time.Second), true, func(ctx context.Context) (bool, error) {
		ca, last = observe.ReadCA(ctx, tb.Env.Client, tb.Env.Namespace)
		return last == nil, nil
	})
	if err != nil {
		return nil, fmt.Errorf("the SUT did not create its CA Secret: %w (last read: %v)", err, last)
	}
	return ca.Trust, nil
}

// DeviceOptions shape one device.
type DeviceOptions struct {
	// Profile is the firmware profile; the backend's default if empty.
	Profile string
	// Token enrols the device with a fresh one-time token (bound to its
	// name); otherwise it expects to be pre-registered.
	Token bool
	// TokenValue provisions this exact token instead.
	TokenValue string
	// Gateway names the gateway to connect to; the first if empty.
	Gateway string
}

// NewDevice provisions and starts a device behind its own link.
func (tb *Testbed) NewDevice(ctx context.Context, name string, o DeviceOptions) (*Device, error) {
	ca, err := tb.CABundle(ctx)
	if err != nil {
		return nil, err
	}
	gw := tb.SUT.Gateway(o.Gateway)
	if gw == nil {
		return nil, fmt.Errorf("no gateway %q", o.Gateway)
	}
	link, err := tb.Links.Add(name, gw.Addr)
	if err != nil {
		return nil, err
	}
	tok := o.TokenValue
	if o.Token && tok == "" {
		if tok, err = tokens.Create(ctx, tb.Env.Client, tb.Env.Namespace, tokens.Options{DeviceName: name}); err != nil {
			return nil, err
		}
	}
	d, err := tb.Backend.Launch(ctx, fleet.Spec{
		Name: name, Profile: o.Profile, Gateway: link.Addr, CA: ca, Token: tok, LogDir: tb.Env.ArtifactDir,
	})
	if err != nil {
		return nil, err
	}
	td := &Device{Device: d, Link: link, Gateway: gw.Name}
	tb.mu.Lock()
	tb.devices[name] = td
	tb.mu.Unlock()
	return td, nil
}

// PreRegister creates the Device object for a device that has booted once
// and generated its key, as an operator would after reading the key off it.
func (tb *Testbed) PreRegister(ctx context.Context, d *Device, arch wasmbedv1.Arch) (*wasmbedv1.Device, error) {
	key := fleet.PublicKey(d)
	if key == "" {
		return nil, fmt.Errorf("device %s has not generated its key yet", d.Name())
	}
	obj := &wasmbedv1.Device{}
	obj.Namespace, obj.Name = tb.Env.Namespace, d.Name()
	obj.Spec = wasmbedv1.DeviceSpec{
		PublicKey:  key,
		Arch:       arch,
		Enrollment: wasmbedv1.DeviceEnrollment{Method: wasmbedv1.EnrollPreRegistered},
	}
	return obj, tb.Env.Client.Create(ctx, obj)
}
