package observe

import (
	"context"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"

	wasmbedv1 "github.com/wasmbed/wasmbed/sut/api/v1alpha1"
)

// Namespace is the pollers of this package bound to one client and
// namespace, so a spec says obs.DevicePhase("dev-1") rather than
// observe.DevicePhase(e.Client, e.Namespace, "dev-1").
type Namespace struct {
	Client client.Client
	Name   string
}

// In binds the pollers to namespace ns.
func In(c client.Client, ns string) Namespace { return Namespace{Client: c, Name: ns} }

// Device polls one Device.
func (n Namespace) Device(name string) func(context.Context) (*wasmbedv1.Device, error) {
	return Device(n.Client, n.Name, name)
}

// DevicePhase polls a Device's phase.
func (n Namespace) DevicePhase(name string) func(context.Context) (wasmbedv1.DevicePhase, error) {
	return DevicePhase(n.Client, n.Name, name)
}

// Devices polls every Device of the namespace.
func (n Namespace) Devices() func(context.Context) ([]wasmbedv1.Device, error) {
	return Devices(n.Client, n.Name)
}

// PhaseCounts polls the namespace's Devices counted by phase.
func (n Namespace) PhaseCounts() func(context.Context) (map[wasmbedv1.DevicePhase]int, error) {
	return PhaseCounts(n.Client, n.Name)
}

// LastHeartbeat polls a Device's lastHeartbeat.
func (n Namespace) LastHeartbeat(name string) func(context.Context) (time.Time, error) {
	return LastHeartbeat(n.Client, n.Name, name)
}

// Application polls one Application.
func (n Namespace) Application(name string) func(context.Context) (*wasmbedv1.Application, error) {
	return Application(n.Client, n.Name, name)
}

// AppPhase polls an Application's phase.
func (n Namespace) AppPhase(name string) func(context.Context) (wasmbedv1.ApplicationPhase, error) {
	return AppPhase(n.Client, n.Name, name)
}

// DeviceApp polls one app as a Device's status reports it.
func (n Namespace) DeviceApp(device, app string) func(context.Context) (wasmbedv1.DeviceAppStatus, error) {
	return DeviceApp(n.Client, n.Name, device, app)
}

// AppState polls one app's state as a Device's status reports it.
func (n Namespace) AppState(device, app string) func(context.Context) (wasmbedv1.AppState, error) {
	return func(ctx context.Context) (wasmbedv1.AppState, error) {
		a, err := DeviceApp(n.Client, n.Name, device, app)(ctx)
		return a.State, err
	}
}

// AppCount polls how many apps a Device reports.
func (n Namespace) AppCount(device string) func(context.Context) (int, error) {
	return AppCount(n.Client, n.Name, device)
}
