// Package observe reads the state the SUT publishes — Device and
// Application status through the Kubernetes API, gateway metrics — in the
// shape Gomega's Eventually polls: functions that take a context and
// return a value and an error.
package observe

import (
	"context"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"

	wasmbedv1 "github.com/wasmbed/wasmbed/sut/api/v1alpha1"
)

// Device returns a poller of one Device.
func Device(c client.Client, ns, name string) func(context.Context) (*wasmbedv1.Device, error) {
	return func(ctx context.Context) (*wasmbedv1.Device, error) {
		var d wasmbedv1.Device
		err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, &d)
		return &d, err
	}
}

// DevicePhase returns a poller of a Device's phase.
func DevicePhase(c client.Client, ns, name string) func(context.Context) (wasmbedv1.DevicePhase, error) {
	return func(ctx context.Context) (wasmbedv1.DevicePhase, error) {
		var d wasmbedv1.Device
		if err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, &d); err != nil {
			return "", err
		}
		return d.Status.Phase, nil
	}
}

// Devices returns a poller of every Device in ns.
func Devices(c client.Client, ns string) func(context.Context) ([]wasmbedv1.Device, error) {
	return func(ctx context.Context) ([]wasmbedv1.Device, error) {
		var l wasmbedv1.DeviceList
		err := c.List(ctx, &l, client.InNamespace(ns))
		return l.Items, err
	}
}

// PhaseCounts returns a poller counting the Devices of ns by phase.
func PhaseCounts(c client.Client, ns string) func(context.Context) (map[wasmbedv1.DevicePhase]int, error) {
	return func(ctx context.Context) (map[wasmbedv1.DevicePhase]int, error) {
		var l wasmbedv1.DeviceList
		if err := c.List(ctx, &l, client.InNamespace(ns)); err != nil {
			return nil, err
		}
		out := map[wasmbedv1.DevicePhase]int{}
		for _, d := range l.Items {
			out[d.Status.Phase]++
		}
		return out, nil
	}
}

// LastHeartbeat returns a poller of a Device's lastHeartbeat.
func LastHeartbeat(c client.Client, ns, name string) func(context.Context) (time.Time, error) {
	return func(ctx context.Context) (time.Time, error) {
		var d wasmbedv1.Device
		if err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, &d); err != nil || d.Status.LastHeartbeat == nil {
			return time.Time{}, err
		}
		return d.Status.LastHeartbeat.Time, nil
	}
}

// Application returns a poller of one Application.
func Application(c client.Client, ns, name string) func(context.Context) (*wasmbedv1.Application, error) {
	return func(ctx context.Context) (*wasmbedv1.Application, error) {
		var a wasmbedv1.Application
		err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, &a)
		return &a, err
	}
}

// AppPhase returns a poller of an Application's phase.
func AppPhase(c client.Client, ns, name string) func(context.Context) (wasmbedv1.ApplicationPhase, error) {
	return func(ctx context.Context) (wasmbedv1.ApplicationPhase, error) {
		var a wasmbedv1.Application
		if err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, &a); err != nil {
			return "", err
		}
		return a.Status.Phase, nil
	}
}

// DeviceApp returns a poller of one app as a Device's status reports it; a
// zero value if the device does not report it.
func DeviceApp(c client.Client, ns, device, app string) func(context.Context) (wasmbedv1.DeviceAppStatus, error) {
	return func(ctx context.Context) (wasmbedv1.DeviceAppStatus, error) {
		var d wasmbedv1.Device
		if err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: device}, &d); err != nil {
			return wasmbedv1.DeviceAppStatus{}, err
		}
		for _, a := range d.Status.Apps {
			if a.Name == app {
				return a, nil
			}
		}
		return wasmbedv1.DeviceAppStatus{}, nil
	}
}

// AppCount returns a poller counting the apps a Device reports.
func AppCount(c client.Client, ns, device string) func(context.Context) (int, error) {
	return func(ctx context.Context) (int, error) {
		var d wasmbedv1.Device
		if err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: device}, &d); err != nil {
			return 0, err
		}
		return len(d.Status.Apps), nil
	}
}
