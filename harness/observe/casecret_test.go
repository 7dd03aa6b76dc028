package observe_test

import (
	"crypto/x509"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/wasmbed/wasmbed/harness/observe"
	"github.com/wasmbed/wasmbed/sut/pki"
)

// The harness reads the CA Secret through the format the SUT publishes.
// This test, and only this test, compares that format with the SUT's own
// constants and decodes a Secret the SUT's PKI wrote, so the two cannot
// drift apart silently.
func TestCASecretFormat(t *testing.T) {
	for _, c := range []struct{ harness, sut string }{
		{observe.CASecretName, pki.DefaultSecretName},
		{observe.CAKeyCert, pki.KeyCert},
		{observe.CAKeyPrevious, pki.KeyPrevious},
		{observe.CAKeyTrust, pki.KeyTrust},
		{observe.CAAnnotationRotate, pki.AnnotationRotate},
		{observe.CAAnnotationRotated, pki.AnnotationRotated},
	} {
		if c.harness != c.sut {
			t.Errorf("the harness reads %q where the SUT writes %q", c.harness, c.sut)
		}
	}

	old, err := pki.NewCA("test", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	ca, err := old.Rotate(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	var s corev1.Secret
	s.Namespace, s.Name = "ns", pki.DefaultSecretName
	if err := ca.ToSecret(&s); err != nil {
		t.Fatal(err)
	}
	got, err := observe.DecodeCA(&s)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Cert.Equal(ca.Cert) || got.Previous == nil || !got.Previous.Equal(old.Cert) {
		t.Errorf("decoded root %v and previous %v, want %v and %v", got.Cert.Subject, got.Previous, ca.Cert.Subject, old.Cert.Subject)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(got.Trust) {
		t.Error("the trust bundle holds no certificate")
	}
}
