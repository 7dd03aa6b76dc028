package attack

import (
	"context"
	"fmt"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	fixtures "github.com/wasmbed/wasmbed/fixtures/apps"
	"github.com/wasmbed/wasmbed/harness/appspec"
	"github.com/wasmbed/wasmbed/sut/abi"
	wasmbedv1 "github.com/wasmbed/wasmbed/sut/api/v1alpha1"
	"github.com/wasmbed/wasmbed/sut/refusal"
)

// The sandbox and signed-module attacks are Applications: an app author
// (or whoever can change an Application) ships a hostile or unsigned
// module and the device must contain it. Each attack deploys one app to
// one device, waits until the device reports why it refused or stopped
// it — in Device and Application status, the audit trail an operator
// reads — and deletes the Application again.

// hostileApp deploys app to device, expects the app to be refused or
// failed with want (and, if set, a last error containing detail), and
// removes it. stage says where the refusal is logged.
func (t *Target) hostileApp(ctx context.Context, app *wasmbedv1.Application, device string, stage refusal.Stage, want refusal.Reason, detail string) (Outcome, error) {
	app.Namespace = t.Namespace
	app.Spec.Devices = []string{device}
	out := Outcome{Refusals: 1, Evidence: []string{"app=" + app.Name}}
	if stage == refusal.StageApp {
		out.LogOf = device
	}
	if err := t.Client.Create(ctx, app); err != nil {
		return out, fmt.Errorf("create Application %s: %w", app.Name, err)
	}
	removed := false
	defer func() {
		if !removed {
			_ = t.removeApp(context.WithoutCancel(ctx), app, device)
		}
	}()
	var onDevice wasmbedv1.DeviceAppStatus
	err := poll(ctx, 60*time.Second, func(ctx context.Context) (bool, error) {
		var d wasmbedv1.Device
		if err := t.Client.Get(ctx, client.ObjectKey{Namespace: t.Namespace, Name: device}, &d); err != nil {
			return false, err
		}
		for _, a := range d.Status.Apps {
			if a.Name == app.Name {
				onDevice = a
			}
		}
		return refusal.Reason(onDevice.Reason) == want, nil
	})
	if err != nil {
		return out, fmt.Errorf("Device %s never reported app %s refused with %s (last: state=%s reason=%q error=%q)",
			device, app.Name, want, onDevice.State, onDevice.Reason, onDevice.LastError)
	}
	if onDevice.State == wasmbedv1.AppRunning {
		return out, fmt.Errorf("app %s is Running on %s", app.Name, device)
	}
	if !strings.Contains(onDevice.LastError, detail) {
		return out, fmt.Errorf("app %s failed with %s but %q does not say %q", app.Name, want, onDevice.LastError, detail)
	}
	err = poll(ctx, 30*time.Second, func(ctx context.Context) (bool, error) {
		var a wasmbedv1.Application
		if err := t.Client.Get(ctx, client.ObjectKeyFromObject(app), &a); err != nil {
			return false, err
		}
		for _, d := range a.Status.Devices {
			if d.Name == device && refusal.Reason(d.Reason) == want {
				out.Told = want
				return true, nil
			}
		}
		return false, nil
	})
	if err != nil {
		return out, fmt.Errorf("Application %s's status never gave %s as the reason on %s", app.Name, want, device)
	}
	out.Detail = fmt.Sprintf("%s on %s: %s", onDevice.State, device, onDevice.LastError)
	removed = true
	return out, t.removeApp(ctx, app, device)
}

// removeApp deletes the Application and waits until its finalizer let it
// go, so the next attack starts from a clean device. A hostile app must
// not be able to outlive its Application.
func (t *Target) removeApp(ctx context.Context, app *wasmbedv1.Application, device string) error {
	if err := t.Client.Delete(ctx, app); err != nil && !apierrors.IsNotFound(err) {
		return err
	}
	err := poll(ctx, 20*time.Second, func(ctx context.Context) (bool, error) {
		err := t.Client.Get(ctx, client.ObjectKeyFromObject(app), &wasmbedv1.Application{})
		return apierrors.IsNotFound(err), nil
	})
	if err == nil {
		return nil
	}
	var d wasmbedv1.Device
	_ = t.Client.Get(ctx, client.ObjectKey{Namespace: t.Namespace, Name: device}, &d)
	for _, a := range d.Status.Apps {
		if a.Name == app.Name {
			return fmt.Errorf("Application %s was not deleted within 20s: Device %s's status still lists the app (%s, %s), so its finalizer waits", app.Name, device, a.State, a.Reason)
		}
	}
	return fmt.Errorf("Application %s was not deleted within 20s", app.Name)
}

func one(n int32) *int32 { return &n }

func sandboxOOBPointer(ctx context.Context, t *Target) (Outcome, error) {
	app := appspec.FromFixture(t.Namespace, "atk-oob", fixtures.OOBPointer, appspec.Options{MaxRestarts: one(0)})
	return t.hostileApp(ctx, app, t.AppDevice, refusal.StageApp, abi.ReasonTrap, "outside linear memory")
}

func sandboxImportNotGranted(ctx context.Context, t *Target) (Outcome, error) {
	app := appspec.FromFixture(t.Namespace, "atk-nocap", fixtures.KVNoCap, appspec.Options{})
	return t.hostileApp(ctx, app, t.AppDevice, refusal.StageDeploy, abi.ReasonImportNotGranted, "kv")
}

func sandboxUnknownImport(ctx context.Context, t *Target) (Outcome, error) {
	app := appspec.FromFixture(t.Namespace, "atk-import", fixtures.UnknownImport, appspec.Options{})
	return t.hostileApp(ctx, app, t.AppDevice, refusal.StageDeploy, abi.ReasonUnknownImport, "launch_missiles")
}

func sandboxWASIFS(ctx context.Context, t *Target) (Outcome, error) {
	app := appspec.FromFixture(t.Namespace, "atk-wasi-fs", fixtures.WASIFS, appspec.Options{})
	return t.hostileApp(ctx, app, t.AppDevice, refusal.StageDeploy, abi.ReasonImportNotGranted, "path_open")
}

func sandboxWASINoPreopens(ctx context.Context, t *Target) (Outcome, error) {
	app := appspec.FromFixture(t.Namespace, "atk-wasi-nofs", fixtures.WASIFS, appspec.Options{
		MaxRestarts: one(0), Capabilities: &wasmbedv1.AppCapabilities{WASI: true},
	})
	return t.hostileApp(ctx, app, t.AppDevice, refusal.StageApp, abi.ReasonExit, "exited with code 8")
}

func sandboxHostCallTimeout(ctx context.Context, t *Target) (Outcome, error) {
	app := appspec.FromFixture(t.Namespace, "atk-sleep", fixtures.HostSleep, appspec.Options{MaxRestarts: one(0), MaxExecution: 200 * time.Millisecond})
	return t.hostileApp(ctx, app, t.AppDevice, refusal.StageApp, abi.ReasonTimeout, "")
}
