package controller

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/tools/record"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/wasmbed/wasmbed/sut/abi"
	wasmbedv1 "github.com/wasmbed/wasmbed/sut/api/v1alpha1"
	"github.com/wasmbed/wasmbed/sut/module"
)

// ApplicationReconciler resolves an Application's module, selects its
// target devices and records the assignment in status.devices. Gateways act
// on that assignment from their informers, level-triggered, the way a
// kubelet acts on the Pods bound to its node: nothing is sent by RPC that a
// restart could lose. It then folds what each device reports back into the
// Application's per-device list, counts and phase.
type ApplicationReconciler struct {
	Client   client.Client
	Reader   client.Reader // uncached, for module sources
	Recorder record.EventRecorder

	validator module.Validator
}

// +kubebuilder:rbac:groups=wasmbed.io,resources=applications,verbs=get;list;watch;update;patch
// +kubebuilder:rbac:groups=wasmbed.io,resources=applications/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=wasmbed.io,resources=applications/finalizers,verbs=update

// Reconcile implements reconcile.Reconciler.
func (r *ApplicationReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	var app wasmbedv1.Application
	if err := r.Client.Get(ctx, req.NamespacedName, &app); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	var devices wasmbedv1.DeviceList
	if err := r.Client.List(ctx, &devices, client.InNamespace(app.Namespace)); err != nil {
		return ctrl.Result{}, err
	}
	if !app.DeletionTimestamp.IsZero() {
		return r.finalize(ctx, &app, devices.Items)
	}
	if controllerutil.AddFinalizer(&app, wasmbedv1.FinalizerApplication) {
		if err := r.Client.Update(ctx, &app); err != nil {
			return ctrl.Result{}, client.IgnoreNotFound(err)
		}
	}

	before := app.Status.DeepCopy()
	data, digest, err := module.Resolve(ctx, r.Reader, &app)
	var merr *module.Error
	switch {
	case errors.As(err, &merr):
		setAppCondition(&app, wasmbedv1.ConditionResolved, metav1.ConditionFalse, merr.Reason, merr.Message)
		app.Status.Phase = wasmbedv1.AppPhaseFailed
		app.Status.ObservedGeneration = app.Generation
		// Keep the previous assignment and digest: devices keep running the
		// last good version while the new one cannot be resolved.
		return ctrl.Result{}, r.writeStatus(ctx, &app, before)
	case err != nil:
		return ctrl.Result{}, err
	}
	setAppCondition(&app, wasmbedv1.ConditionResolved, metav1.ConditionTrue, "Resolved", fmt.Sprintf("module sha256 %s, %d bytes", digest[:12], len(data)))
	if app.Status.ModuleDigest != digest {
		r.Recorder.Eventf(&app, "Normal", "RollingOut", "rolling out module %s", digest[:12])
	}
	app.Status.ModuleDigest = digest
	app.Status.ModuleSize = int64(len(data))

	targets, excluded := r.selectTargets(ctx, &app, devices.Items, data, digest)
	switch {
	case len(targets) == 0 && len(excluded) == 0:
		setAppCondition(&app, wasmbedv1.ConditionScheduled, metav1.ConditionFalse, "NoTargets", "no Device matches the selector or names; the app runs nowhere")
	case len(targets) == 0:
		setAppCondition(&app, wasmbedv1.ConditionScheduled, metav1.ConditionFalse, "NoEligibleTargets", "no matching Device can run the app: "+strings.Join(excluded, "; "))
	case len(excluded) > 0:
		setAppCondition(&app, wasmbedv1.ConditionScheduled, metav1.ConditionTrue, "Scheduled", fmt.Sprintf("%d device(s); excluded: %s", len(targets), strings.Join(excluded, "; ")))
	default:
		setAppCondition(&app, wasmbedv1.ConditionScheduled, metav1.ConditionTrue, "Scheduled", fmt.Sprintf("%d device(s)", len(targets)))
	}
	byName := map[string]*wasmbedv1.Device{}
	for i := range devices.Items {
		byName[devices.Items[i].Name] = &devices.Items[i]
	}
	app.Status.Devices = app.Status.Devices[:0:0]
	for _, name := range targets {
		app.Status.Devices = append(app.Status.Devices, observed(app.Name, digest, byName[name]))
	}
	summarize(&app)
	app.Status.ObservedGeneration = app.Generation
	return ctrl.Result{}, r.writeStatus(ctx, &app, before)
}

// selectTargets returns the devices the app should run on, sorted, and a
// reason for each matching device that cannot run it.
func (r *ApplicationReconciler) selectTargets(ctx context.Context, app *wasmbedv1.Application, devices []wasmbedv1.Device, data []byte, digest string) ([]string, []string) {
	var sel labels.Selector
	if app.Spec.Selector != nil {
		s, err := metav1.LabelSelectorAsSelector(app.Spec.Selector)
		if err == nil {
			sel = s
		}
	}
	named := map[string]bool{}
	for _, n := range app.Spec.Devices {
		named[n] = true
	}
	pages := int64(app.Spec.Limits.MaxMemoryPages)
	if pages == 0 {
		pages = abi.DefaultMaxMemoryPages
	}
	need := resource.NewQuantity(pages*64*1024, resource.BinarySI)
	// A module that is invalid under every feature says nothing about
	// devices' features: assign it anyway, and the gateways refuse it per
	// device with the reason (InvalidModule) before it reaches any.
	judgeFeatures := r.validate(ctx, data, digest, nil) == nil
	var targets, excluded []string
	for i := range devices {
		d := &devices[i]
		if !named[d.Name] && (sel == nil || !sel.Matches(labels.Set(d.Labels))) {
			continue
		}
		delete(named, d.Name)
		if m := d.Spec.Capabilities.Memory; m != nil && m.Cmp(*need) < 0 {
			excluded = append(excluded, fmt.Sprintf("%s has %s of memory, the app may use %s", d.Name, m.String(), need.String()))
			continue
		}
		if judgeFeatures && len(d.Spec.Capabilities.WasmFeatures) > 0 {
			if err := r.validate(ctx, data, digest, d.Spec.Capabilities.WasmFeatures); err != nil {
				msg := err.Error()
				var ae *abi.Error
				if errors.As(err, &ae) {
					msg = ae.Message
				}
				excluded = append(excluded, fmt.Sprintf("%s lacks wasm features the module needs: %s", d.Name, msg))
				continue
			}
		}
		targets = append(targets, d.Name)
	}
	for n := range named {
		excluded = append(excluded, fmt.Sprintf("Device %s does not exist", n))
	}
	sort.Strings(targets)
	sort.Strings(excluded)
	return targets, excluded
}

// validate compiles the module for a device's feature set, once per digest
// and feature set.
func (r *ApplicationReconciler) validate(ctx context.Context, data []byte, digest string, features []wasmbedv1.WasmFeature) error {
	names := make([]string, len(features))
	for i, f := range features {
		names[i] = string(f)
	}
	return r.validator.Validate(ctx, data, digest, names)
}

// observed is the app on one device, as the device (through its gateway)
// reports it in Device.status.apps.
func observed(appName, digest string, d *wasmbedv1.Device) wasmbedv1.ApplicationDeviceStatus {
	st := wasmbedv1.ApplicationDeviceStatus{Name: d.Name, State: wasmbedv1.AppPending}
	for _, a := range d.Status.Apps {
		if a.Name != appName {
			continue
		}
		st.Digest, st.Restarts, st.Reason, st.Message = a.Digest, a.Restarts, a.Reason, a.LastError
		if a.Digest == digest {
			st.State = a.State
		} else {
			st.State = wasmbedv1.AppInstalling // an older version still runs
			st.Reason, st.Message = "", "running "+short(a.Digest)+", rolling out "+short(digest)
		}
	}
	if st.State == wasmbedv1.AppPending && d.Status.Phase != wasmbedv1.DeviceConnected {
		st.Message = fmt.Sprintf("device is %s; the app is sent when it connects", orUnknown(d.Status.Phase))
	}
	return st
}

// summarize sets counts, phase and the Ready condition from the per-device
// list.
func summarize(app *wasmbedv1.Application) {
	c := wasmbedv1.ApplicationCounts{Targeted: int32(len(app.Status.Devices))}
	for _, d := range app.Status.Devices {
		switch d.State {
		case wasmbedv1.AppRunning:
			c.Running++
		case wasmbedv1.AppFailed:
			c.Failed++
		default:
			c.Pending++
		}
	}
	app.Status.Counts = c
	switch {
	case c.Targeted == 0:
		app.Status.Phase = wasmbedv1.AppPhasePending
	case c.Pending > 0:
		app.Status.Phase = wasmbedv1.AppPhaseDeploying
	case c.Running == c.Targeted:
		app.Status.Phase = wasmbedv1.AppPhaseRunning
	case c.Running == 0:
		app.Status.Phase = wasmbedv1.AppPhaseFailed
	default:
		app.Status.Phase = wasmbedv1.AppPhasePartiallyRunning
	}
	if c.Targeted > 0 && c.Running == c.Targeted {
		setAppCondition(app, wasmbedv1.ConditionReady, metav1.ConditionTrue, "AllRunning", fmt.Sprintf("running on all %d device(s)", c.Targeted))
	} else {
		setAppCondition(app, wasmbedv1.ConditionReady, metav1.ConditionFalse, string(app.Status.Phase),
			fmt.Sprintf("%d running, %d failed, %d pending of %d", c.Running, c.Failed, c.Pending, c.Targeted))
	}
}

// finalize waits until no connected target still runs the app (the
// gateways stop it once the Application is being deleted), then lets the
// Application go. Devices that are offline get the stop when they return,
// because the app is no longer assigned to them.
func (r *ApplicationReconciler) finalize(ctx context.Context, app *wasmbedv1.Application, devices []wasmbedv1.Device) (ctrl.Result, error) {
	if !controllerutil.ContainsFinalizer(app, wasmbedv1.FinalizerApplication) {
		return ctrl.Result{}, nil
	}
	assigned := map[string]bool{}
	for _, d := range app.Status.Devices {
		assigned[d.Name] = true
	}
	var still []string
	for _, d := range devices {
		if !assigned[d.Name] || d.Status.Phase != wasmbedv1.DeviceConnected {
			continue
		}
		for _, a := range d.Status.Apps {
			if a.Name == app.Name && a.State != wasmbedv1.AppStopped {
				still = append(still, d.Name)
			}
		}
	}
	if len(still) > 0 {
		before := app.Status.DeepCopy()
		app.Status.Phase = wasmbedv1.AppPhaseStopped
		setAppCondition(app, wasmbedv1.ConditionReady, metav1.ConditionFalse, "Stopping", "waiting for the app to stop on "+strings.Join(still, ", "))
		return ctrl.Result{}, r.writeStatus(ctx, app, before)
	}
	controllerutil.RemoveFinalizer(app, wasmbedv1.FinalizerApplication)
	return ctrl.Result{}, client.IgnoreNotFound(r.Client.Update(ctx, app))
}

func (r *ApplicationReconciler) writeStatus(ctx context.Context, app *wasmbedv1.Application, before *wasmbedv1.ApplicationStatus) error {
	if equalStatus(before, &app.Status) {
		return nil
	}
	err := r.Client.Status().Update(ctx, app)
	if apierrors.IsConflict(err) || apierrors.IsNotFound(err) {
		return nil // a newer event is queued
	}
	return err
}

func setAppCondition(app *wasmbedv1.Application, typ string, status metav1.ConditionStatus, reason, msg string) {
	meta.SetStatusCondition(&app.Status.Conditions, metav1.Condition{
		Type: typ, Status: status, Reason: reason, Message: msg, ObservedGeneration: app.Generation,
	})
}

func short(d string) string {
	if len(d) > 12 {
		return d[:12]
	}
	return d
}

func orUnknown(p wasmbedv1.DevicePhase) string {
	if p == "" {
		return "not enrolled"
	}
	return string(p)
}

// SetupWithManager registers the reconciler: Applications, and every
// Application of a namespace when one of its Devices changes.
func (r *ApplicationReconciler) SetupWithManager(mgr ctrl.Manager) error {
	return ctrl.NewControllerManagedBy(mgr).
		For(&wasmbedv1.Application{}).
		Watches(&wasmbedv1.Device{}, handler.EnqueueRequestsFromMapFunc(func(ctx context.Context, o client.Object) []reconcile.Request {
			var list wasmbedv1.ApplicationList
			if err := r.Client.List(ctx, &list, client.InNamespace(o.GetNamespace())); err != nil {
				return nil
			}
			reqs := make([]reconcile.Request, 0, len(list.Items))
			for _, a := range list.Items {
				reqs = append(reqs, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(&a)})
			}
			return reqs
		})).
		Named("application").
		// Enrolment bursts and rollouts touch many objects at once; one
		// worker would serialise them behind each other's API writes.
		WithOptions(controller.Options{MaxConcurrentReconciles: 8}).
		Complete(r)
}
