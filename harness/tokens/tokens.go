// Package tokens creates one-time enrolment tokens the way an operator
// does: as Secrets, through the Kubernetes API.
package tokens

import (
	"context"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	wasmbedv1 "github.com/wasmbed/wasmbed/sut/api/v1alpha1"
)

// Options shape a token.
type Options struct {
	// DeviceName binds the token to one device name.
	DeviceName string
	// TTL sets an expiry relative to now; negative makes an expired token.
	TTL time.Duration
}

// Create makes a token Secret in ns and returns the token to provision.
func Create(ctx context.Context, c client.Client, ns string, o Options) (string, error) {
	id, secret := wasmbedv1.NewToken()
	data := map[string][]byte{
		wasmbedv1.TokenKeyID:     []byte(id),
		wasmbedv1.TokenKeySecret: []byte(secret),
	}
	if o.DeviceName != "" {
		data[wasmbedv1.TokenKeyDeviceName] = []byte(o.DeviceName)
	}
	if o.TTL != 0 {
		data[wasmbedv1.TokenKeyExpiration] = []byte(time.Now().Add(o.TTL).UTC().Format(time.RFC3339))
	}
	s := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: wasmbedv1.TokenSecretPrefix + id},
		Type:       corev1.SecretType(wasmbedv1.TokenSecretType),
		Data:       data,
	}
	if err := c.Create(ctx, s); err != nil {
		return "", err
	}
	return id + "." + secret, nil
}
