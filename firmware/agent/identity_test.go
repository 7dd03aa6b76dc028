package agent

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/wasmbed/wasmbed/firmware/flash"
	"github.com/wasmbed/wasmbed/sut/protocol"
)

// testCA is a CA of the test's own making: what a gateway's CA would sign.
type testCA struct {
	key  ed25519.PrivateKey
	cert *x509.Certificate
}

func newTestCA(t *testing.T) testCA {
	t.Helper()
	_, key, _ := ed25519.GenerateKey(rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	return testCA{key, cert}
}

// issue signs a client certificate for pub.
func (ca testCA) issue(t *testing.T, pub ed25519.PublicKey) []byte {
	t.Helper()
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "dev"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, pub, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

func (ca testCA) pem() []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ca.cert.Raw})
}

func TestIdentityLifecycle(t *testing.T) {
	store := flash.Dir(t.TempDir())
	if _, err := loadIdentity(store); err == nil || !strings.Contains(err.Error(), "no CA bundle") {
		t.Fatalf("without a provisioned CA: %v", err)
	}
	ca := newTestCA(t)
	if err := store.Write(flash.ProvisionCA, ca.pem()); err != nil {
		t.Fatal(err)
	}

	// First boot made a key and published its public half for an operator.
	first, err := loadIdentity(store)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := store.Read(flash.IdentityPublicKey)
	if err != nil || strings.TrimSpace(string(pub)) != protocol.EncodePublicKey(first.key.Public().(ed25519.PublicKey)) {
		t.Fatalf("public key in flash %q, %v", pub, err)
	}
	if first.cert != nil {
		t.Fatal("a certificate before enrolment")
	}
	again, err := loadIdentity(store)
	if err != nil || !again.key.Equal(first.key) {
		t.Fatalf("a reboot changed the key: %v", err)
	}

	// A certificate for another key is refused and nothing is stored.
	_, otherKey, _ := ed25519.GenerateKey(rand.Reader)
	if err := first.save(store, ca.issue(t, otherKey.Public().(ed25519.PublicKey)), nil); err == nil {
		t.Fatal("saved a certificate for another key")
	}
	if _, err := store.Read(flash.IdentityCert); !errors.Is(err, flash.ErrNotExist) {
		t.Fatalf("a refused certificate reached flash: %v", err)
	}

	// The issued certificate and the gateway's bundle survive a reboot.
	rotated := newTestCA(t)
	if err := first.save(store, ca.issue(t, first.key.Public().(ed25519.PublicKey)), [][]byte{ca.cert.Raw, rotated.cert.Raw}); err != nil {
		t.Fatal(err)
	}
	enrolled, err := loadIdentity(store)
	if err != nil || enrolled.cert == nil || !enrolled.key.Equal(first.key) {
		t.Fatalf("after enrolment: %+v, %v", enrolled, err)
	}
	if _, err := enrolled.cert.Verify(x509.VerifyOptions{Roots: enrolled.bundle, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
		t.Errorf("the stored bundle does not verify the certificate: %v", err)
	}
	bundle, _ := store.Read(flash.IdentityCABundle)
	if strings.Count(string(bundle), "BEGIN CERTIFICATE") != 2 {
		t.Errorf("bundle holds %q, want both roots", bundle)
	}

	// Forgetting drops the certificate, never the key.
	enrolled.forget(store)
	afterForget, err := loadIdentity(store)
	if err != nil || afterForget.cert != nil || !afterForget.key.Equal(first.key) {
		t.Fatalf("after forget: cert %v, same key %v, %v", afterForget.cert != nil, afterForget.key.Equal(first.key), err)
	}
}

func TestIdentityRefusesABadKeyFile(t *testing.T) {
	for name, content := range map[string]string{
		"not PEM":     "garbage",
		"not a key":   string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: []byte("nope")})),
		"not Ed25519": ecdsaKeyPEM(t),
	} {
		store := flash.Dir(t.TempDir())
		_ = store.Write(flash.ProvisionCA, newTestCA(t).pem())
		_ = store.Write(flash.IdentityKey, []byte(content))
		if _, err := loadIdentity(store); err == nil {
			t.Errorf("%s: loaded", name)
		}
	}
}

func ecdsaKeyPEM(t *testing.T) string {
	t.Helper()
	k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
}
