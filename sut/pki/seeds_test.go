package pki

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/wasmbed/wasmbed/fixtures/fuzz"
)

// The committed CSR corpus (fixtures/fuzz/csr) is generated here and every
// committed seed is held to its name: "ok-" requests parse (and the
// certificate issued for them carries none of their extras), "bad-csr_invalid-"
// ones are refused. Regenerate with WASMBED_UPDATE_FUZZ_SEEDS=1 go test ./sut/pki.

// reasonCSRInvalid is protocol.ReasonCSRInvalid, the code the gateway gives
// a request ParseCSR refuses (pki does not import the protocol).
const reasonCSRInvalid = "csr_invalid"

// seedKey is a fixed Ed25519 key, so generated requests are reproducible
// (Ed25519 signatures are deterministic).
func seedKey(b byte) ed25519.PrivateKey {
	return ed25519.NewKeyFromSeed(bytes.Repeat([]byte{b}, ed25519.SeedSize))
}

func mustCSR(tmpl *x509.CertificateRequest, key any) []byte {
	der, err := x509.CreateCertificateRequest(rand.Reader, tmpl, key)
	if err != nil {
		panic(err)
	}
	return der
}

// greedyRequest asks for everything a device must not get: a privileged
// subject, names of the gateway and the API server, and CA rights.
func greedyRequest() *x509.CertificateRequest {
	admin, _ := url.Parse("spiffe://cluster/ns/kube-system/sa/admin")
	bc, _ := asn1.Marshal(struct {
		IsCA       bool `asn1:"optional"`
		MaxPathLen int  `asn1:"optional,default:-1"`
	}{IsCA: true, MaxPathLen: 3})
	ku, _ := asn1.Marshal(asn1.BitString{Bytes: []byte{0x06}, BitLength: 7}) // keyCertSign | cRLSign
	eku, _ := asn1.Marshal([]asn1.ObjectIdentifier{{1, 3, 6, 1, 5, 5, 7, 3, 1}})
	return &x509.CertificateRequest{
		Subject:        pkix.Name{CommonName: "system:masters", Organization: []string{"system:masters"}},
		DNSNames:       []string{"wasmbed-gateway", "kubernetes.default.svc"},
		IPAddresses:    []net.IP{net.ParseIP("127.0.0.1"), net.ParseIP("10.96.0.1")},
		URIs:           []*url.URL{admin},
		EmailAddresses: []string{"root@cluster"},
		ExtraExtensions: []pkix.Extension{
			{Id: asn1.ObjectIdentifier{2, 5, 29, 19}, Critical: true, Value: bc},
			{Id: asn1.ObjectIdentifier{2, 5, 29, 15}, Critical: true, Value: ku},
			{Id: asn1.ObjectIdentifier{2, 5, 29, 37}, Value: eku},
		},
	}
}

// csrSeeds are the deterministic seeds, by file name.
func csrSeeds() map[string][]byte {
	minimal := mustCSR(&x509.CertificateRequest{Subject: pkix.Name{CommonName: "dev-1"}}, seedKey(1))
	tampered := bytes.Clone(minimal)
	tampered[len(tampered)-3] ^= 0x40
	bad := "bad-" + reasonCSRInvalid + "-"
	return map[string][]byte{
		"ok-minimal.der":               minimal,
		"ok-greedy.der":                mustCSR(greedyRequest(), seedKey(2)),
		bad + "garbage.der":            []byte("-----BEGIN CERTIFICATE REQUEST-----"),
		bad + "empty-sequence.der":     {0x30, 0x00},
		bad + "truncated.der":          minimal[:len(minimal)/2],
		bad + "tampered-signature.der": tampered,
		bad + "trailing-data.der":      append(bytes.Clone(minimal), 0x00),
	}
}

// csrSeedsRandomised are seeds whose signature is randomised (ECDSA), so a
// fresh generation never matches the committed bytes: they are written if
// missing and otherwise only held to their names.
func csrSeedsRandomised() map[string][]byte {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	return map[string][]byte{
		"bad-" + reasonCSRInvalid + "-ecdsa-key.der": mustCSR(&x509.CertificateRequest{Subject: pkix.Name{CommonName: "dev-1"}}, key),
	}
}

func TestFuzzSeedsAreCommitted(t *testing.T) {
	dir := filepath.Join("..", "..", "fixtures", "fuzz", fuzz.CSR)
	update := os.Getenv("WASMBED_UPDATE_FUZZ_SEEDS") != ""
	for name, want := range csrSeeds() {
		path := filepath.Join(dir, name)
		if update {
			if err := os.WriteFile(path, want, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if got, err := os.ReadFile(path); err != nil || !bytes.Equal(got, want) {
			t.Errorf("fixtures/fuzz/csr/%s is missing or stale: run WASMBED_UPDATE_FUZZ_SEEDS=1 go test ./sut/pki", name)
		}
	}
	for name, fresh := range csrSeedsRandomised() {
		path := filepath.Join(dir, name)
		if _, err := os.Stat(path); err == nil {
			continue
		}
		if !update {
			t.Errorf("fixtures/fuzz/csr/%s is missing: run WASMBED_UPDATE_FUZZ_SEEDS=1 go test ./sut/pki", name)
			continue
		}
		if err := os.WriteFile(path, fresh, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestFuzzSeedsMeanWhatTheySay parses every committed CSR seed and checks
// the outcome its name promises; for accepted ones, that the certificate
// issued carries none of what the request asked for.
func TestFuzzSeedsMeanWhatTheySay(t *testing.T) {
	seeds, err := fuzz.Seeds(fuzz.CSR)
	if err != nil {
		t.Fatal(err)
	}
	if len(seeds) == 0 {
		t.Fatal("the CSR corpus is empty")
	}
	ca := mustCA(t)
	for _, s := range seeds {
		_, key, err := ParseCSR(s.Data)
		switch {
		case s.Refusal == "" && err != nil:
			t.Errorf("%s: refused: %v", s.Name, err)
		case s.Refusal == reasonCSRInvalid && !errors.Is(err, ErrCSR):
			t.Errorf("%s: err = %v, want ErrCSR (%s)", s.Name, err, reasonCSRInvalid)
		case s.Refusal != "" && s.Refusal != reasonCSRInvalid:
			t.Errorf("%s: CSR seeds can only be refused with %s", s.Name, reasonCSRInvalid)
		case s.Refusal == "":
			cert, err := ca.IssueDevice(key, "dev-1", NewSerial(), time.Now(), time.Hour)
			if err != nil {
				t.Fatal(err)
			}
			if cert.IsCA || cert.KeyUsage != x509.KeyUsageDigitalSignature || cert.Subject.CommonName != "dev-1" ||
				len(cert.Subject.Organization) != 1 || cert.Subject.Organization[0] != "wasmbed-device" ||
				len(cert.DNSNames)+len(cert.IPAddresses)+len(cert.URIs)+len(cert.EmailAddresses) != 0 ||
				len(cert.ExtKeyUsage) != 1 || cert.ExtKeyUsage[0] != x509.ExtKeyUsageClientAuth {
				t.Errorf("%s: issued certificate carries requested extras: %+v", s.Name, cert)
			}
		}
	}
}
