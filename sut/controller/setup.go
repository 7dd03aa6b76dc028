package controller

import (
	"time"

	ctrl "sigs.k8s.io/controller-runtime"
	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"

	"github.com/wasmbed/wasmbed/sut/pki"
)

// Options configure the reconcilers.
type Options struct {
	// CASecret names the CA Secret in each namespace.
	CASecret string
	// OverlapDuration is how long a rotated-out CA stays trusted.
	OverlapDuration time.Duration
}

// Setup registers every reconciler with mgr.
func Setup(mgr ctrl.Manager, opts Options) error {
	if opts.CASecret == "" {
		opts.CASecret = pki.DefaultSecretName
	}
	if opts.OverlapDuration == 0 {
		opts.OverlapDuration = 24 * time.Hour
	}
	c := mgr.GetClient()
	if err := (&DeviceReconciler{Client: c, CASecret: opts.CASecret}).SetupWithManager(mgr); err != nil {
		return err
	}
	if err := (&LivenessReconciler{Client: c}).SetupWithManager(mgr); err != nil {
		return err
	}
	if err := (&CAReconciler{Client: c, SecretName: opts.CASecret, Overlap: opts.OverlapDuration}).SetupWithManager(mgr); err != nil {
		return err
	}
	if err := (&ApplicationReconciler{Client: c, Reader: mgr.GetAPIReader(), Recorder: mgr.GetEventRecorderFor("wasmbed-controller")}).SetupWithManager(mgr); err != nil {
		return err
	}
	// The state metrics (statemetrics.go), next to controller-runtime's
	// reconcile and workqueue metrics in the registry it serves.
	return ctrlmetrics.Registry.Register(&stateCollector{reader: mgr.GetCache(), elected: mgr.Elected()})
}
