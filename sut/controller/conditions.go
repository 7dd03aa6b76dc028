package controller

import (
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	wasmbedv1 "github.com/wasmbed/wasmbed/sut/api/v1alpha1"
)

func setCondition(dev *wasmbedv1.Device, typ string, status metav1.ConditionStatus, reason, msg string) {
	meta.SetStatusCondition(&dev.Status.Conditions, metav1.Condition{
		Type: typ, Status: status, Reason: reason, Message: msg, ObservedGeneration: dev.Generation,
	})
}

// equalStatus compares statuses semantically, so a reconcile that changes
// nothing writes nothing: steady-state heartbeats must not cost a
// controller write each.
func equalStatus(a, b any) bool { return equality.Semantic.DeepEqual(a, b) }
