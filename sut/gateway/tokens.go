package gateway

import (
	"context"
	"crypto/subtle"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	wasmbedv1 "github.com/wasmbed/wasmbed/sut/api/v1alpha1"
	"github.com/wasmbed/wasmbed/sut/protocol"
)

// token is a validated, not yet consumed, enrolment token.
type token struct {
	secret     *corev1.Secret
	deviceName string // bound device name, if any
}

// checkToken validates a presented token without consuming it.
func (g *Gateway) checkToken(ctx context.Context, presented string) (*token, error) {
	id, sec, err := wasmbedv1.ParseToken(presented)
	if err != nil {
		return nil, refuse(protocol.ReasonTokenInvalid, "%v", err)
	}
	var s corev1.Secret
	err = g.reader.Get(ctx, client.ObjectKey{Namespace: g.opts.Namespace, Name: wasmbedv1.TokenSecretPrefix + id}, &s)
	if apierrors.IsNotFound(err) {
		return nil, refuse(protocol.ReasonTokenInvalid, "no token %s", id)
	}
	if err != nil {
		return nil, err
	}
	if string(s.Type) != wasmbedv1.TokenSecretType || subtle.ConstantTimeCompare(s.Data[wasmbedv1.TokenKeySecret], []byte(sec)) != 1 {
		return nil, refuse(protocol.ReasonTokenInvalid, "token %s does not match", id)
	}
	if by := s.Annotations[wasmbedv1.AnnotationTokenUsedBy]; by != "" {
		return nil, refuse(protocol.ReasonTokenReused, "token %s was already used by device %s at %s", id, by, s.Annotations[wasmbedv1.AnnotationTokenUsedAt])
	}
	if exp := string(s.Data[wasmbedv1.TokenKeyExpiration]); exp != "" {
		t, err := time.Parse(time.RFC3339, exp)
		if err != nil {
			return nil, refuse(protocol.ReasonTokenInvalid, "token %s has an unreadable expiration %q", id, exp)
		}
		if time.Now().After(t) {
			return nil, refuse(protocol.ReasonTokenExpired, "token %s expired at %s", id, exp)
		}
	}
	return &token{secret: &s, deviceName: string(s.Data[wasmbedv1.TokenKeyDeviceName])}, nil
}

// consume marks the token used by device. The update carries the
// resourceVersion read in checkToken, so of two concurrent uses only one
// succeeds; the other is told the token was reused.
func (g *Gateway) consume(ctx context.Context, t *token, device string) error {
	s := t.secret.DeepCopy()
	if s.Annotations == nil {
		s.Annotations = map[string]string{}
	}
	s.Annotations[wasmbedv1.AnnotationTokenUsedBy] = device
	s.Annotations[wasmbedv1.AnnotationTokenUsedAt] = time.Now().UTC().Format(time.RFC3339)
	err := g.client.Update(ctx, s)
	if apierrors.IsConflict(err) {
		return refuse(protocol.ReasonTokenReused, "token %s was used concurrently by another device", s.Name)
	}
	return err
}

// release undoes consume after the enrolment failed for a reason that is
// not the device's fault, so the token is not burnt. Best effort: if the
// token changed since, it is left alone.
func (g *Gateway) release(ctx context.Context, t *token) {
	var s corev1.Secret
	if err := g.reader.Get(ctx, client.ObjectKeyFromObject(t.secret), &s); err != nil {
		return
	}
	delete(s.Annotations, wasmbedv1.AnnotationTokenUsedBy)
	delete(s.Annotations, wasmbedv1.AnnotationTokenUsedAt)
	if err := g.client.Update(ctx, &s); err != nil {
		g.log.Warn("could not release an unused token", "token", s.Name, "err", err)
	}
}
