package controller

import (
	"context"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	wasmbedv1 "github.com/wasmbed/wasmbed/sut/api/v1alpha1"
)

// LivenessReconciler marks a gateway's devices Unreachable when its Lease
// has not been renewed for the lease duration plus the Gateway's grace
// period, as the node lifecycle controller does for nodes.
type LivenessReconciler struct {
	Client client.Client
	// Now is the clock; tests may replace it.
	Now func() time.Time
}

// +kubebuilder:rbac:groups=coordination.k8s.io,resources=leases,verbs=get;list;watch
// +kubebuilder:rbac:groups=wasmbed.io,resources=gateways/status,verbs=get;update;patch

// Reconcile implements reconcile.Reconciler for a Gateway.
func (r *LivenessReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	now := time.Now()
	if r.Now != nil {
		now = r.Now()
	}
	var gw wasmbedv1.Gateway
	if err := r.Client.Get(ctx, req.NamespacedName, &gw); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	grace := unreachableGrace(&gw)
	var lease coordinationv1.Lease
	err := r.Client.Get(ctx, client.ObjectKey{Namespace: gw.Namespace, Name: wasmbedv1.LeaseName(gw.Name)}, &lease)
	if err != nil && !apierrors.IsNotFound(err) {
		return ctrl.Result{}, err
	}
	if apierrors.IsNotFound(err) || lease.Spec.RenewTime == nil || lease.Spec.LeaseDurationSeconds == nil {
		// Never started: nothing can have connected through it.
		return ctrl.Result{}, nil
	}
	expires := lease.Spec.RenewTime.Add(time.Duration(*lease.Spec.LeaseDurationSeconds) * time.Second)
	deadline := expires.Add(grace)
	live := now.Before(expires)
	if err := r.setLive(ctx, &gw, live, expires); err != nil {
		return ctrl.Result{}, err
	}
	if now.Before(deadline) {
		return ctrl.Result{RequeueAfter: deadline.Sub(now) + 10*time.Millisecond}, nil
	}

	var devices wasmbedv1.DeviceList
	if err := r.Client.List(ctx, &devices, client.InNamespace(gw.Namespace)); err != nil {
		return ctrl.Result{}, err
	}
	for i := range devices.Items {
		d := &devices.Items[i]
		if d.Status.Gateway != gw.Name || d.Status.Phase != wasmbedv1.DeviceConnected {
			continue
		}
		d.Status.Phase = wasmbedv1.DeviceUnreachable
		setCondition(d, wasmbedv1.ConditionConnected, metav1.ConditionUnknown, "GatewayUnreachable",
			"gateway "+gw.Name+" has not renewed its Lease since "+lease.Spec.RenewTime.Format(time.RFC3339))
		if err := r.Client.Status().Update(ctx, d); err != nil {
			if apierrors.IsConflict(err) {
				return ctrl.Result{Requeue: true}, nil
			}
			return ctrl.Result{}, err
		}
		log.FromContext(ctx).Info("device unreachable", "device", d.Name, "gateway", gw.Name)
	}
	return ctrl.Result{}, nil
}

func (r *LivenessReconciler) setLive(ctx context.Context, gw *wasmbedv1.Gateway, live bool, expires time.Time) error {
	cond := metav1.Condition{Type: wasmbedv1.ConditionLive, Status: metav1.ConditionTrue, Reason: "LeaseRenewed",
		Message: "lease valid until " + expires.Format(time.RFC3339), ObservedGeneration: gw.Generation}
	if !live {
		cond.Status, cond.Reason, cond.Message = metav1.ConditionFalse, "LeaseExpired", "lease expired at "+expires.Format(time.RFC3339)
	}
	if c := meta.FindStatusCondition(gw.Status.Conditions, cond.Type); c != nil && c.Status == cond.Status {
		return nil // only transitions are written
	}
	meta.SetStatusCondition(&gw.Status.Conditions, cond)
	err := r.Client.Status().Update(ctx, gw)
	if apierrors.IsConflict(err) {
		return nil // the next pass retries
	}
	return err
}

// SetupWithManager registers the reconciler: Gateways, and Leases mapped
// to their Gateway.
func (r *LivenessReconciler) SetupWithManager(mgr ctrl.Manager) error {
	return ctrl.NewControllerManagedBy(mgr).
		For(&wasmbedv1.Gateway{}).
		Watches(&coordinationv1.Lease{}, handler.EnqueueRequestsFromMapFunc(func(_ context.Context, o client.Object) []reconcile.Request {
			gw := o.GetLabels()["wasmbed.io/gateway"]
			if gw == "" {
				return nil
			}
			return []reconcile.Request{{NamespacedName: client.ObjectKey{Namespace: o.GetNamespace(), Name: gw}}}
		})).
		Named("gateway-liveness").
		Complete(r)
}

// defaultUnreachableGrace is the Gateway's unreachableGracePeriod when the
// field is unset (the CRD defaults it to the same).
const defaultUnreachableGrace = 40 * time.Second

// unreachableGrace is how long after a gateway's Lease expires its devices
// become Unreachable.
func unreachableGrace(gw *wasmbedv1.Gateway) time.Duration {
	if gw.Spec.UnreachableGracePeriod != nil {
		return gw.Spec.UnreachableGracePeriod.Duration
	}
	return defaultUnreachableGrace
}
