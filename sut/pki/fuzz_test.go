package pki

import (
	"bytes"
	"crypto/ed25519"
	"crypto/x509"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// FuzzParseCSR: any bytes are refused with ErrCSR, or parse to an Ed25519
// key whose self-signature verifies; and a certificate issued for a parsed
// request carries only what the CA decides, whatever the request asked for.
func FuzzParseCSR(f *testing.F) {
	for _, b := range csrSeeds() {
		f.Add(b)
	}
	dir := filepath.Join("..", "..", "fixtures", "fuzz", "csr")
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if b, err := os.ReadFile(filepath.Join(dir, e.Name())); err == nil {
			f.Add(b)
		}
	}
	ca, err := NewCA("fuzz-ca", time.Now())
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, der []byte) {
		csr, key, err := ParseCSR(der)
		if err != nil {
			return
		}
		if len(key) != ed25519.PublicKeySize {
			t.Fatalf("accepted a %d-byte key", len(key))
		}
		if !ed25519.Verify(key, csr.RawTBSCertificateRequest, csr.Signature) {
			t.Fatal("accepted a request whose self-signature does not verify")
		}
		cert, err := ca.IssueDevice(key, "fuzzed", NewSerial(), time.Now(), time.Hour)
		if err != nil {
			t.Fatalf("a parsed request's key cannot be certified: %v", err)
		}
		if cert.IsCA || cert.KeyUsage&x509.KeyUsageCertSign != 0 || cert.Subject.CommonName != "fuzzed" ||
			len(cert.DNSNames)+len(cert.IPAddresses)+len(cert.URIs)+len(cert.EmailAddresses) != 0 ||
			len(cert.ExtKeyUsage) != 1 || cert.ExtKeyUsage[0] != x509.ExtKeyUsageClientAuth {
			t.Fatalf("issued certificate carries something the request asked for: %+v", cert)
		}
		if !bytes.Equal(cert.RawSubjectPublicKeyInfo, mustSPKI(t, key)) {
			t.Fatal("issued certificate is for another key")
		}
	})
}

func mustSPKI(t *testing.T, key ed25519.PublicKey) []byte {
	b, err := x509.MarshalPKIXPublicKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
