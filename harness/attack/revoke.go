package attack

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	wasmbedv1 "github.com/wasmbed/wasmbed/sut/api/v1alpha1"
	"github.com/wasmbed/wasmbed/sut/pki"
)

// revokedName is the attacker-owned device an operator revokes.
const revokedName = "atk-revoked"

// Revoked returns an identity the gateway enrolled and an operator then
// revoked (Device.spec.revoked), once the revocation has reached the CA's
// revocation list and the Device's status says so. Its certificate and key
// are genuine: only the revocation stands between it and a session.
func (t *Target) Revoked(ctx context.Context) (*Identity, error) {
	id, err := t.Identity(ctx, revokedName, nil)
	if err != nil {
		return nil, err
	}
	dev := &wasmbedv1.Device{}
	dev.Namespace, dev.Name = t.Namespace, id.Name
	if err := t.Client.Patch(ctx, dev, client.RawPatch(types.MergePatchType, []byte(`{"spec":{"revoked":true}}`))); err != nil {
		return nil, fmt.Errorf("revoke %s: %w", id.Name, err)
	}
	err = poll(ctx, t.timeout(30*time.Second), func(ctx context.Context) (bool, error) {
		var s corev1.Secret
		if err := t.Client.Get(ctx, client.ObjectKey{Namespace: t.Namespace, Name: pki.DefaultSecretName}, &s); err != nil {
			return false, err
		}
		ca, err := pki.FromSecret(&s)
		return err == nil && ca.IsRevoked(id.Cert.SerialNumber), err
	})
	if err != nil {
		return nil, fmt.Errorf("the controller did not put %s's certificate on the revocation list: %w", id.Name, err)
	}
	return id, nil
}

// RevocationOnStatus waits until the revoked Device's status says why it
// is refused, and returns that condition's message.
func (t *Target) RevocationOnStatus(ctx context.Context, name string) (string, error) {
	var msg string
	err := poll(ctx, t.timeout(30*time.Second), func(ctx context.Context) (bool, error) {
		var d wasmbedv1.Device
		if err := t.Client.Get(ctx, client.ObjectKey{Namespace: t.Namespace, Name: name}, &d); err != nil {
			return false, err
		}
		c := meta.FindStatusCondition(d.Status.Conditions, wasmbedv1.ConditionEnrolled)
		if c != nil && c.Reason == wasmbedv1.ReasonRevoked {
			msg = c.Message
			return true, nil
		}
		return false, nil
	})
	if err != nil {
		return "", fmt.Errorf("Device %s's status never said it was revoked: %w", name, err)
	}
	return msg, nil
}
