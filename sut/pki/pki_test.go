package pki

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"net"
	"net/url"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
)

func mustCA(t *testing.T) *CA {
	t.Helper()
	ca, err := NewCA("test-ca", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return ca
}

func csrFor(t *testing.T, key ed25519.PrivateKey, tmpl *x509.CertificateRequest) []byte {
	t.Helper()
	der, err := x509.CreateCertificateRequest(rand.Reader, tmpl, key)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

func TestIssuedDeviceCertCarriesOnlyWhatTheCADecides(t *testing.T) {
	ca := mustCA(t)
	pub, key, _ := ed25519.GenerateKey(rand.Reader)
	evil, _ := url.Parse("spiffe://cluster/admin")
	der := csrFor(t, key, &x509.CertificateRequest{
		Subject:     pkix.Name{CommonName: "system:masters"},
		DNSNames:    []string{"wasmbed-gateway", "kubernetes.default"},
		IPAddresses: []net.IP{net.ParseIP("10.0.0.1")},
		URIs:        []*url.URL{evil},
		ExtraExtensions: []pkix.Extension{{
			Id: []int{2, 5, 29, 19}, Critical: true, Value: []byte{0x30, 0x03, 0x01, 0x01, 0xff}, // basicConstraints CA:TRUE
		}},
	})
	_, csrKey, err := ParseCSR(der)
	if err != nil {
		t.Fatal(err)
	}
	if !csrKey.Equal(pub) {
		t.Fatal("CSR key differs")
	}
	cert, err := ca.IssueDevice(csrKey, "dev-1", NewSerial(), time.Now(), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if cert.IsCA || len(cert.DNSNames)+len(cert.IPAddresses)+len(cert.URIs) != 0 || cert.Subject.CommonName != "dev-1" {
		t.Fatalf("issued certificate carries requested extras: CA=%v names=%v %v %v CN=%q", cert.IsCA, cert.DNSNames, cert.IPAddresses, cert.URIs, cert.Subject.CommonName)
	}
	if err := ca.VerifyClient(cert, time.Now()); err != nil {
		t.Fatal(err)
	}
	if err := ca.VerifyClient(cert, time.Now().Add(2*time.Hour)); err == nil {
		t.Fatal("expired certificate verified")
	}
}

func TestParseCSRRefusals(t *testing.T) {
	_, key, _ := ed25519.GenerateKey(rand.Reader)
	good := csrFor(t, key, &x509.CertificateRequest{Subject: pkix.Name{CommonName: "d"}})
	tampered := append([]byte(nil), good...)
	tampered[len(tampered)-5] ^= 0xff
	for name, der := range map[string][]byte{
		"garbage":   []byte("not a csr"),
		"truncated": good[:len(good)/2],
		"tampered":  tampered,
	} {
		if _, _, err := ParseCSR(der); !errors.Is(err, ErrCSR) {
			t.Errorf("%s: err = %v, want ErrCSR", name, err)
		}
	}
}

func TestRevocationListRoundTrip(t *testing.T) {
	ca := mustCA(t)
	s := NewSerial()
	if !ca.Revoke(s) || ca.Revoke(s) {
		t.Fatal("Revoke should report only the first addition")
	}
	var sec corev1.Secret
	if err := ca.ToSecret(&sec); err != nil {
		t.Fatal(err)
	}
	back, err := FromSecret(&sec)
	if err != nil {
		t.Fatal(err)
	}
	if !back.IsRevoked(s) || back.IsRevoked(NewSerial()) {
		t.Fatal("revocation list did not survive the Secret")
	}
	other := mustCA(t)
	if err := other.LoadCRL(sec.Data[KeyCRL]); !errors.Is(err, ErrNotSignedByCA) {
		t.Fatalf("foreign CRL accepted: %v", err)
	}
}

// During an overlap, a device that only trusts the old root still verifies
// the gateway's new certificate, and devices on either root are accepted.
func TestRotationOverlap(t *testing.T) {
	old := mustCA(t)
	devPub, _, _ := ed25519.GenerateKey(rand.Reader)
	oldDevCert, err := old.IssueDevice(devPub, "dev-old", NewSerial(), time.Now(), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	next, err := old.Rotate(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	var sec corev1.Secret
	if err := next.ToSecret(&sec); err != nil {
		t.Fatal(err)
	}
	next, err = FromSecret(&sec)
	if err != nil {
		t.Fatal(err)
	}
	if err := next.VerifyClient(oldDevCert, time.Now()); err != nil {
		t.Fatalf("device on the old root refused during the overlap: %v", err)
	}
	if next.IssuedByCurrent(oldDevCert) {
		t.Fatal("old certificate reported as issued by the new root")
	}

	gwPub, gwKey, _ := ed25519.GenerateKey(rand.Reader)
	leaf, err := next.IssueServer(gwPub, "gw", []string{"127.0.0.1"}, time.Now(), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	serving := tls.Certificate{Certificate: [][]byte{leaf.Raw}, PrivateKey: gwKey}
	for _, c := range next.ServingChain() {
		serving.Certificate = append(serving.Certificate, c.Raw)
	}
	for name, roots := range map[string]*x509.CertPool{"old root only": pool(old.Cert), "new root only": pool(next.Cert)} {
		if err := handshake(serving, roots); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	next.EndOverlap()
	if err := next.VerifyClient(oldDevCert, time.Now()); err == nil {
		t.Fatal("old device still accepted after the overlap ended")
	}
}

func pool(certs ...*x509.Certificate) *x509.CertPool {
	p := x509.NewCertPool()
	for _, c := range certs {
		p.AddCert(c)
	}
	return p
}

func handshake(serving tls.Certificate, roots *x509.CertPool) error {
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	srv := tls.Server(a, &tls.Config{Certificates: []tls.Certificate{serving}, MinVersion: tls.VersionTLS13, SessionTicketsDisabled: true})
	cli := tls.Client(b, &tls.Config{RootCAs: roots, ServerName: ServerName, MinVersion: tls.VersionTLS13})
	errc := make(chan error, 1)
	go func() { errc <- srv.Handshake() }()
	cerr := cli.Handshake()
	serr := <-errc
	if cerr != nil {
		return cerr
	}
	return serr
}
