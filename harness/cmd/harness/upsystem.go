package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/wasmbed/wasmbed/harness/env"
	"github.com/wasmbed/wasmbed/harness/testbed"
	"github.com/wasmbed/wasmbed/harness/tokens"
)

// system is what `harness up` started in its namespace, and how to reach
// it.
type system struct {
	e        *env.Env
	tb       *testbed.Testbed
	kind     string // what the devices are: "process" or "QEMU guest, <profile>"
	devices  []*testbed.Device
	vehicles []*testbed.Vehicle
	speed    float64
	attach   attachment
}

// attachment is what a person needs to attach one more device by hand.
type attachment struct {
	name, token, caFile, flashDir string
}

// startSystem starts the SUT, the devices (all Connected) and the
// vehicles in e's namespace, and prepares a manual attachment. Whatever it
// started is stopped when e closes.
func startSystem(ctx context.Context, e *env.Env, o upOptions) (*system, error) {
	pr := e.Progress
	backend := "process"
	if o.QEMU != "" {
		backend = "qemu"
	}
	if o.QEMU != "" {
		e.Config.QEMUProfiles = o.QEMU // the qemu backend's devices boot this profile
	}
	pr.Printf("starting the SUT (a controller and a gateway) in namespace %s", e.Namespace)
	tb, err := testbed.New(ctx, e, testbed.Options{Backend: backend})
	if err != nil {
		return nil, err
	}
	sys := &system{e: e, tb: tb, kind: "process"}
	if o.QEMU != "" {
		sys.kind = "QEMU guest, " + o.QEMU
	}
	if sys.devices, err = startDevices(ctx, tb, o); err != nil {
		return nil, err
	}
	if o.Vehicles > 0 {
		air, err := testbed.NewAirspace(ctx, tb, testbed.AirspaceOptions{})
		if err != nil {
			return nil, err
		}
		sys.speed = air.SpeedFactor()
		for i := range o.Vehicles {
			pr.Printf("starting vehicle %d of %d (px4sim at %gx)", i+1, o.Vehicles, air.SpeedFactor())
			v, err := air.NewVehicle(ctx, testbed.VehicleOptions{})
			if err != nil {
				return nil, err
			}
			if err := v.Fly(ctx, e.Client, e.Namespace, sys.devices[i].Name(), ""); err != nil {
				return nil, fmt.Errorf("make %s the pilot of vehicle %d: %w", sys.devices[i].Name(), v.SystemID, err)
			}
			sys.vehicles = append(sys.vehicles, v)
		}
	}
	if sys.attach, err = prepareAttachment(ctx, tb); err != nil {
		return nil, err
	}
	return sys, nil
}

// startDevices launches o.Devices token-enrolled devices at once and waits
// until every one is Connected.
func startDevices(ctx context.Context, tb *testbed.Testbed, o upOptions) ([]*testbed.Device, error) {
	pr, n := tb.Env.Progress, o.Devices
	if n == 0 {
		return nil, nil
	}
	kind, timeout := "process devices", 60*time.Second
	if o.QEMU != "" {
		kind, timeout = "QEMU guests ("+o.QEMU+", under TCG: seconds each)", time.Duration(n)*60*time.Second
	}
	pr.Printf("starting %d %s, each behind its own link proxy", n, kind)
	start := time.Now()
	devs, err := tb.ConnectedDevices(ctx, n, testbed.FleetOptions{Prefix: "dev", Timeout: timeout})
	if err != nil {
		return nil, fmt.Errorf("%w; the devices' logs are in %s", err, tb.Env.ArtifactDir)
	}
	pr.Printf("%d devices Connected in %s", n, time.Since(start).Round(100*time.Millisecond))
	return devs, nil
}

// prepareAttachment creates a one-time token bound to a fresh device name
// and writes the CA bundle where the device command can read it.
func prepareAttachment(ctx context.Context, tb *testbed.Testbed) (attachment, error) {
	e := tb.Env
	a := attachment{name: "manual-00", flashDir: filepath.Join(e.ArtifactDir, "attach", "flash")}
	ca, err := tb.CABundle(ctx)
	if err != nil {
		return a, err
	}
	if err := os.MkdirAll(a.flashDir, 0o700); err != nil {
		return a, err
	}
	a.caFile = filepath.Join(e.ArtifactDir, "attach", "ca.pem")
	if err := os.WriteFile(a.caFile, ca, 0o644); err != nil {
		return a, err
	}
	a.token, err = tokens.Create(ctx, e.Client, e.Namespace, tokens.Options{DeviceName: a.name})
	return a, err
}

// print tells a person how to reach the system; the last line, "ready: ...",
// says it is complete.
func (s *system) print(w io.Writer) {
	e, gw := s.e, s.tb.SUT.Gateway("")
	fmt.Fprintf(w, "\nWasmbed is up.\n")
	fmt.Fprintf(w, "  kubeconfig:  %s\n", e.Shared.Kubeconfig)
	fmt.Fprintf(w, "  namespace:   %s\n", e.Namespace)
	fmt.Fprintf(w, "  gateway:     %s (each device below reaches it through its own link proxy)\n", gw.Addr)
	for _, d := range s.devices {
		fmt.Fprintf(w, "  device:      %s (%s, Connected, link %s)\n", d.Name(), s.kind, d.Link.Addr)
	}
	for i, v := range s.vehicles {
		fmt.Fprintf(w, "  vehicle:     system %d at %s (px4sim, %gx), flown by %s; its ground-station link is %s\n",
			v.SystemID, v.Endpoint, s.speed, s.devices[i].Name(), v.GCSLink)
	}
	fmt.Fprintf(w, "  logs:        %s (removed on exit unless -wasmbed.keep-artifacts)\n", e.ArtifactDir)
	fmt.Fprintf(w, "  CA bundle:   %s\n", s.attach.caFile)
	kubectl := "kubectl"
	if e.Shared.KubectlPath != "" {
		kubectl = e.Shared.KubectlPath
	}
	fmt.Fprintf(w, "\nLook around:\n  %s --kubeconfig %s -n %s get devices,gateways,applications\n", kubectl, e.Shared.Kubeconfig, e.Namespace)
	fmt.Fprintf(w, "\nAttach one more device by hand (a one-time token, bound to the name %s):\n", s.attach.name)
	fmt.Fprintf(w, "  %s -flash %s -gateway %s -name %s -token %s -ca %s\n",
		e.Shared.Bins.Device, s.attach.flashDir, gw.Addr, s.attach.name, s.attach.token, s.attach.caFile)
	fmt.Fprintf(w, "\nready: press Ctrl-C to tear everything down\n")
}
