package pki

import (
	"context"
	"crypto/ed25519"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// DefaultSecretName is the Secret that holds the CA in each namespace.
const DefaultSecretName = "wasmbed-ca"

// Keys of the CA Secret.
const (
	SecretType  corev1.SecretType = "wasmbed.io/ca"
	KeyCert                       = "ca.crt"   // current root, PEM
	KeyKey                        = "ca.key"   // current key, PKCS#8 PEM
	KeyPrevious                   = "prev.crt" // previous root during an overlap, PEM
	KeyCross                      = "cross.crt"
	KeyTrust                      = "trust.pem" // every trusted root, PEM; what devices get
	KeyCRL                        = "ca.crl"    // DER revocation list
	// AnnotationRotate asks the controller to rotate the CA when its value
	// changes from the one recorded in AnnotationRotated.
	AnnotationRotate  = "wasmbed.io/rotate"
	AnnotationRotated = "wasmbed.io/rotated"
	// AnnotationOverlapEnds is when the previous root stops being trusted.
	AnnotationOverlapEnds = "wasmbed.io/overlap-ends"
)

// LoadOrCreate returns the CA in namespace/name, creating it if absent.
// Controller and gateways may race on first start; Create is atomic, so
// the loser reads the winner's CA.
func LoadOrCreate(ctx context.Context, c client.Client, namespace, name string) (*CA, *corev1.Secret, error) {
	var s corev1.Secret
	err := c.Get(ctx, client.ObjectKey{Namespace: namespace, Name: name}, &s)
	if err == nil {
		ca, err := FromSecret(&s)
		return ca, &s, err
	}
	if !apierrors.IsNotFound(err) {
		return nil, nil, err
	}
	ca, err := NewCA("wasmbed-ca", time.Now())
	if err != nil {
		return nil, nil, err
	}
	s = corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name, Labels: map[string]string{"app.kubernetes.io/part-of": "wasmbed"}},
		Type:       SecretType,
	}
	if err := ca.ToSecret(&s); err != nil {
		return nil, nil, err
	}
	if err := c.Create(ctx, &s); err != nil {
		if apierrors.IsAlreadyExists(err) {
			return LoadOrCreate(ctx, c, namespace, name)
		}
		return nil, nil, err
	}
	return ca, &s, nil
}

// FromSecret decodes a CA Secret.
func FromSecret(s *corev1.Secret) (*CA, error) {
	cert, err := parseCertPEM(s.Data[KeyCert])
	if err != nil {
		return nil, fmt.Errorf("secret %s/%s: %s: %w", s.Namespace, s.Name, KeyCert, err)
	}
	block, _ := pem.Decode(s.Data[KeyKey])
	if block == nil {
		return nil, fmt.Errorf("secret %s/%s: %s is not PEM", s.Namespace, s.Name, KeyKey)
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, err
	}
	key, ok := k.(ed25519.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("secret %s/%s: CA key is %T, want Ed25519", s.Namespace, s.Name, k)
	}
	ca := &CA{Cert: cert, Key: key}
	if len(s.Data[KeyPrevious]) > 0 {
		if ca.Previous, err = parseCertPEM(s.Data[KeyPrevious]); err != nil {
			return nil, err
		}
		if ca.CrossCert, err = parseCertPEM(s.Data[KeyCross]); err != nil {
			return nil, err
		}
	}
	if len(s.Data[KeyCRL]) > 0 {
		if err := ca.LoadCRL(s.Data[KeyCRL]); err != nil {
			return nil, err
		}
	}
	return ca, nil
}

// ToSecret encodes ca into s.Data.
func (ca *CA) ToSecret(s *corev1.Secret) error {
	keyDER, err := x509.MarshalPKCS8PrivateKey(ca.Key)
	if err != nil {
		return err
	}
	crl, err := ca.CRL(time.Now())
	if err != nil {
		return err
	}
	s.Data = map[string][]byte{
		KeyCert:  EncodeCertPEM(ca.Cert),
		KeyKey:   pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}),
		KeyTrust: EncodeCertPEM(ca.Roots()...),
		KeyCRL:   crl,
	}
	if ca.Previous != nil {
		s.Data[KeyPrevious] = EncodeCertPEM(ca.Previous)
		s.Data[KeyCross] = EncodeCertPEM(ca.CrossCert)
	}
	return nil
}

// EncodeCertPEM renders certificates as concatenated PEM blocks.
func EncodeCertPEM(certs ...*x509.Certificate) []byte {
	var out []byte
	for _, c := range certs {
		out = append(out, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})...)
	}
	return out
}

func parseCertPEM(data []byte) (*x509.Certificate, error) {
	block, _ := pem.Decode(data)
	if block == nil || block.Type != "CERTIFICATE" {
		return nil, errors.New("not a PEM certificate")
	}
	return x509.ParseCertificate(block.Bytes)
}
