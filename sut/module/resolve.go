// Package module resolves the WebAssembly module an Application names —
// inline, or a ConfigMap or Secret key pinned by digest — the same way in
// the controller (which verifies it) and the gateways (which send it).
package module

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	wasmbedv1 "github.com/wasmbed/wasmbed/sut/api/v1alpha1"
)

// Error is why a module cannot be resolved: a stable reason for the
// Resolved condition and a message naming the fix.
type Error struct {
	Reason, Message string
}

func (e *Error) Error() string { return e.Reason + ": " + e.Message }

// Resolve returns an Application's module bytes and their hex
// sha256, checking the digest the spec pins. Gateways resolve the same way.
func Resolve(ctx context.Context, c client.Reader, app *wasmbedv1.Application) ([]byte, string, error) {
	src := app.Spec.Module
	var data []byte
	switch {
	case len(src.Inline) > 0:
		data = src.Inline
	case src.ConfigMapRef != nil:
		var cm corev1.ConfigMap
		if err := c.Get(ctx, client.ObjectKey{Namespace: app.Namespace, Name: src.ConfigMapRef.Name}, &cm); err != nil {
			if apierrors.IsNotFound(err) {
				return nil, "", &Error{"ModuleNotFound", fmt.Sprintf("ConfigMap %s does not exist", src.ConfigMapRef.Name)}
			}
			return nil, "", err
		}
		if b, ok := cm.BinaryData[src.ConfigMapRef.Key]; ok {
			data = b
		} else if s, ok := cm.Data[src.ConfigMapRef.Key]; ok {
			data = []byte(s)
		} else {
			return nil, "", &Error{"ModuleNotFound", fmt.Sprintf("ConfigMap %s has no key %q", src.ConfigMapRef.Name, src.ConfigMapRef.Key)}
		}
	case src.SecretRef != nil:
		var s corev1.Secret
		if err := c.Get(ctx, client.ObjectKey{Namespace: app.Namespace, Name: src.SecretRef.Name}, &s); err != nil {
			if apierrors.IsNotFound(err) {
				return nil, "", &Error{"ModuleNotFound", fmt.Sprintf("Secret %s does not exist", src.SecretRef.Name)}
			}
			return nil, "", err
		}
		b, ok := s.Data[src.SecretRef.Key]
		if !ok {
			return nil, "", &Error{"ModuleNotFound", fmt.Sprintf("Secret %s has no key %q", src.SecretRef.Name, src.SecretRef.Key)}
		}
		data = b
	default:
		return nil, "", &Error{"ModuleNotFound", "the Application names no module source"}
	}
	sum := sha256.Sum256(data)
	digest := hex.EncodeToString(sum[:])
	if src.SHA256 != "" && src.SHA256 != digest {
		return nil, "", &Error{"DigestMismatch", fmt.Sprintf("module sha256 is %s, the Application pins %s", digest, src.SHA256)}
	}
	return data, digest, nil
}
