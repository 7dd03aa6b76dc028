package controller

import (
	"context"
	"time"

	corev1 "k8s.io/api/core/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	wasmbedv1 "github.com/wasmbed/wasmbed/sut/api/v1alpha1"
	"github.com/wasmbed/wasmbed/sut/pki"
)

// CAReconciler owns the CA Secret of every namespace that has a Gateway:
// it creates it, rotates it when the wasmbed.io/rotate annotation changes,
// and drops the previous root when the overlap ends.
type CAReconciler struct {
	Client     client.Client
	SecretName string
	Overlap    time.Duration
}

// Reconcile implements reconcile.Reconciler for the CA Secret of a
// namespace (the request names the Secret).
func (r *CAReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	ca, sec, err := pki.LoadOrCreate(ctx, r.Client, req.Namespace, r.SecretName)
	if err != nil {
		return ctrl.Result{}, err
	}
	logger := log.FromContext(ctx)
	now := time.Now()
	ann := sec.Annotations
	if ann == nil {
		ann = map[string]string{}
	}
	changed := false
	if want := ann[pki.AnnotationRotate]; want != "" && want != ann[pki.AnnotationRotated] {
		next, err := ca.Rotate(now)
		if err != nil {
			return ctrl.Result{}, err
		}
		ca = next
		ann[pki.AnnotationRotated] = want
		ann[pki.AnnotationOverlapEnds] = now.Add(r.Overlap).UTC().Format(time.RFC3339)
		changed = true
		logger.Info("CA rotated", "namespace", req.Namespace, "overlap", r.Overlap)
	}
	var requeue time.Duration
	if ca.Previous != nil {
		ends, err := time.Parse(time.RFC3339, ann[pki.AnnotationOverlapEnds])
		if err != nil || !now.Before(ends) {
			ca.EndOverlap()
			delete(ann, pki.AnnotationOverlapEnds)
			changed = true
			logger.Info("CA rotation overlap ended", "namespace", req.Namespace)
		} else {
			requeue = ends.Sub(now)
		}
	}
	if !changed {
		return ctrl.Result{RequeueAfter: requeue}, nil
	}
	if err := ca.ToSecret(sec); err != nil {
		return ctrl.Result{}, err
	}
	sec.Annotations = ann
	return ctrl.Result{RequeueAfter: requeue}, r.Client.Update(ctx, sec)
}

// SetupWithManager registers the reconciler. Gateways map to their
// namespace's CA Secret, so the CA exists as soon as a Gateway does.
func (r *CAReconciler) SetupWithManager(mgr ctrl.Manager) error {
	toSecret := func(ns string) []reconcile.Request {
		return []reconcile.Request{{NamespacedName: client.ObjectKey{Namespace: ns, Name: r.SecretName}}}
	}
	return ctrl.NewControllerManagedBy(mgr).
		Named("ca").
		Watches(&corev1.Secret{}, handler.EnqueueRequestsFromMapFunc(func(_ context.Context, o client.Object) []reconcile.Request {
			return toSecret(o.GetNamespace())
		}), builder.WithPredicates(predicate.NewPredicateFuncs(func(o client.Object) bool { return o.GetName() == r.SecretName }))).
		Watches(&wasmbedv1.Gateway{}, handler.EnqueueRequestsFromMapFunc(func(_ context.Context, o client.Object) []reconcile.Request {
			return toSecret(o.GetNamespace())
		})).
		Complete(r)
}
