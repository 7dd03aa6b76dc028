package controller

import (
	"context"
	"fmt"
	"math/big"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/log"

	wasmbedv1 "github.com/wasmbed/wasmbed/sut/api/v1alpha1"
	"github.com/wasmbed/wasmbed/sut/pki"
)

// DeviceReconciler drives Device phases and conditions.
type DeviceReconciler struct {
	Client   client.Client
	CASecret string
}

// +kubebuilder:rbac:groups=wasmbed.io,resources=devices,verbs=get;list;watch;update;patch
// +kubebuilder:rbac:groups=wasmbed.io,resources=devices/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=wasmbed.io,resources=gateways,verbs=get;list;watch
// +kubebuilder:rbac:groups="",resources=secrets,verbs=get;list;watch;create;update;patch
// +kubebuilder:rbac:groups="",resources=events,verbs=create;patch

// Reconcile implements reconcile.Reconciler.
func (r *DeviceReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	var dev wasmbedv1.Device
	if err := r.Client.Get(ctx, req.NamespacedName, &dev); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if dev.Spec.Revoked {
		if err := r.revoke(ctx, &dev); err != nil {
			return ctrl.Result{}, err
		}
	}
	before := dev.Status.DeepCopy()
	switch dev.Status.Phase {
	case "":
		if dev.Spec.Enrollment.Method != wasmbedv1.EnrollPreRegistered {
			// A gateway created it mid-enrolment and is about to write
			// Enrolling; a Pending in between would only cost a write and a
			// conflict.
			return ctrl.Result{}, nil
		}
		dev.Status.Phase = wasmbedv1.DevicePending
	case wasmbedv1.DeviceEnrolling:
		if err := r.decide(ctx, &dev); err != nil {
			return ctrl.Result{}, err
		}
	}
	r.setConditions(&dev)
	dev.Status.ObservedGeneration = dev.Generation
	if equalStatus(before, &dev.Status) {
		return ctrl.Result{}, nil
	}
	// Update, not patch: it carries the resourceVersion read above, so if a
	// gateway wrote in between, this fails and the next pass sees its write.
	if err := r.Client.Status().Update(ctx, &dev); err != nil {
		if apierrors.IsConflict(err) {
			return ctrl.Result{Requeue: true}, nil
		}
		return ctrl.Result{}, err
	}
	return ctrl.Result{}, nil
}

// decide applies the Gateway's enrolment policy to a device the gateway
// proposed for enrolment.
func (r *DeviceReconciler) decide(ctx context.Context, dev *wasmbedv1.Device) error {
	serial := ""
	if dev.Status.Certificate != nil {
		serial = dev.Status.Certificate.SerialNumber
	}
	mode := wasmbedv1.EnrollAuto
	var gw wasmbedv1.Gateway
	if err := r.Client.Get(ctx, client.ObjectKey{Namespace: dev.Namespace, Name: dev.Status.Gateway}, &gw); err == nil {
		if gw.Spec.Enrollment.Mode != "" {
			mode = gw.Spec.Enrollment.Mode
		}
	} else if !apierrors.IsNotFound(err) {
		return err
	}
	approve := func(msg string) {
		dev.Status.Phase = wasmbedv1.DeviceEnrolled
		setCondition(dev, wasmbedv1.ConditionEnrolled, metav1.ConditionTrue, wasmbedv1.ReasonApproved, msg)
	}
	switch ann := dev.Annotations[wasmbedv1.AnnotationApproved]; {
	case ann == "false":
		setCondition(dev, wasmbedv1.ConditionEnrolled, metav1.ConditionFalse, wasmbedv1.ReasonDenied,
			fmt.Sprintf("enrolment of certificate %s denied by the %s annotation", serial, wasmbedv1.AnnotationApproved))
	case mode == wasmbedv1.EnrollAuto:
		approve("approved by the Auto enrolment policy of gateway " + dev.Status.Gateway)
	case ann == "true":
		approve("approved by an operator")
	default:
		setCondition(dev, wasmbedv1.ConditionEnrolled, metav1.ConditionFalse, wasmbedv1.ReasonAwaitingApproval,
			fmt.Sprintf("gateway %s enrols by Manual policy: set the annotation %s=true to approve certificate %s", dev.Status.Gateway, wasmbedv1.AnnotationApproved, serial))
	}
	log.FromContext(ctx).Info("enrolment decided", "device", dev.Name, "phase", dev.Status.Phase, "mode", mode)
	return nil
}

func (r *DeviceReconciler) setConditions(dev *wasmbedv1.Device) {
	switch dev.Status.Phase {
	case wasmbedv1.DeviceConnected:
		setCondition(dev, wasmbedv1.ConditionConnected, metav1.ConditionTrue, "SessionOpen", "connected to gateway "+dev.Status.Gateway)
		if !dev.Spec.Revoked && (meta.IsStatusConditionTrue(dev.Status.Conditions, wasmbedv1.ConditionEnrolled) || dev.Status.Certificate != nil) {
			setCondition(dev, wasmbedv1.ConditionEnrolled, metav1.ConditionTrue, wasmbedv1.ReasonApproved, "enrolled")
		}
	case wasmbedv1.DeviceDisconnected:
		setCondition(dev, wasmbedv1.ConditionConnected, metav1.ConditionFalse, "SessionClosed", "the session with gateway "+dev.Status.Gateway+" ended")
	case wasmbedv1.DeviceUnreachable:
		setCondition(dev, wasmbedv1.ConditionConnected, metav1.ConditionUnknown, "GatewayUnreachable", "gateway "+dev.Status.Gateway+" stopped renewing its Lease")
	case wasmbedv1.DevicePending:
		setCondition(dev, wasmbedv1.ConditionConnected, metav1.ConditionFalse, "NotEnrolled", "the device has not enrolled yet")
	}
	if dev.Spec.Revoked {
		// The audit trail of a revocation: why the device's connections
		// are refused, on the Device itself.
		msg := "spec.revoked is set: gateways refuse the device at the TLS handshake (reason device_revoked) and at enrolment"
		if c := dev.Status.Certificate; c != nil {
			msg = fmt.Sprintf("spec.revoked is set: certificate %s is on the CA's revocation list and gateways refuse it at the TLS handshake (reason certificate_revoked)", c.SerialNumber)
		}
		setCondition(dev, wasmbedv1.ConditionEnrolled, metav1.ConditionFalse, wasmbedv1.ReasonRevoked, msg)
	}
}

// revoke puts the device's certificate on the CA's revocation list. The
// gateways watch the CA Secret and refuse the certificate from then on.
func (r *DeviceReconciler) revoke(ctx context.Context, dev *wasmbedv1.Device) error {
	if dev.Status.Certificate == nil {
		return nil
	}
	serial, ok := new(big.Int).SetString(dev.Status.Certificate.SerialNumber, 16)
	if !ok {
		return nil
	}
	ca, sec, err := pki.LoadOrCreate(ctx, r.Client, dev.Namespace, r.CASecret)
	if err != nil {
		return err
	}
	if !ca.Revoke(serial) {
		return nil
	}
	if err := ca.ToSecret(sec); err != nil {
		return err
	}
	if err := r.Client.Update(ctx, sec); err != nil {
		return err
	}
	log.FromContext(ctx).Info("certificate revoked", "device", dev.Name, "serial", dev.Status.Certificate.SerialNumber)
	return nil
}

// SetupWithManager registers the reconciler.
func (r *DeviceReconciler) SetupWithManager(mgr ctrl.Manager) error {
	return ctrl.NewControllerManagedBy(mgr).
		For(&wasmbedv1.Device{}).
		Named("device").
		// Enrolment bursts and rollouts touch many objects at once; one
		// worker would serialise them behind each other's API writes.
		WithOptions(controller.Options{MaxConcurrentReconciles: 8}).
		Complete(r)
}
