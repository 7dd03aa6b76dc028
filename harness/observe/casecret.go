package observe

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// The CA Secret as the SUT publishes it (README, "PKI"): one per
// namespace, named CASecretName, holding PEM certificates under these
// keys, and rotated through these annotations. An operator reads and
// annotates it with kubectl; so does the harness, through this format
// rather than the SUT's PKI package. The constants are the SUT's published
// contract, written down here; TestCASecretFormat keeps them equal to what
// the SUT writes.
const (
	CASecretName = "wasmbed-ca"
	// CAKeyCert is the current root certificate.
	CAKeyCert = "ca.crt"
	// CAKeyPrevious is the previous root, trusted during a rotation's
	// overlap.
	CAKeyPrevious = "prev.crt"
	// CAKeyTrust is every trusted root: the bundle devices are
	// provisioned with.
	CAKeyTrust = "trust.pem"
	// CAAnnotationRotate asks for a rotation when its value differs from
	// CAAnnotationRotated, which the controller sets to it once the
	// rotation is done.
	CAAnnotationRotate  = "wasmbed.io/rotate"
	CAAnnotationRotated = "wasmbed.io/rotated"
)

// CA is the public half of the CA Secret.
type CA struct {
	// Cert is the current root; Previous the one before it during an
	// overlap, nil otherwise.
	Cert, Previous *x509.Certificate
	// Trust is the bundle devices trust.
	Trust []byte
	// Secret is the object as read.
	Secret *corev1.Secret
}

// ReadCA reads and decodes the CA Secret of namespace ns.
func ReadCA(ctx context.Context, c client.Client, ns string) (*CA, error) {
	var s corev1.Secret
	if err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: CASecretName}, &s); err != nil {
		return nil, err
	}
	return DecodeCA(&s)
}

// DecodeCA decodes a CA Secret's public half.
func DecodeCA(s *corev1.Secret) (*CA, error) {
	ca := &CA{Trust: s.Data[CAKeyTrust], Secret: s}
	if len(ca.Trust) == 0 {
		return nil, fmt.Errorf("secret %s/%s has no %s yet", s.Namespace, s.Name, CAKeyTrust)
	}
	var err error
	if ca.Cert, err = certificate(s.Data[CAKeyCert]); err != nil {
		return nil, fmt.Errorf("secret %s/%s: %s: %w", s.Namespace, s.Name, CAKeyCert, err)
	}
	if len(s.Data[CAKeyPrevious]) > 0 {
		if ca.Previous, err = certificate(s.Data[CAKeyPrevious]); err != nil {
			return nil, fmt.Errorf("secret %s/%s: %s: %w", s.Namespace, s.Name, CAKeyPrevious, err)
		}
	}
	return ca, nil
}

func certificate(data []byte) (*x509.Certificate, error) {
	block, _ := pem.Decode(data)
	if block == nil || block.Type != "CERTIFICATE" {
		return nil, errors.New("not a PEM certificate")
	}
	return x509.ParseCertificate(block.Bytes)
}
