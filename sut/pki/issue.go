package pki

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"math/big"
	"net"
	"time"
)

// ErrCSR wraps every reason a CSR is refused.
var ErrCSR = errors.New("invalid CSR")

// ParseCSR parses a DER PKCS#10 request, checks its self-signature (proof
// that the sender holds the key) and that the key is Ed25519.
func ParseCSR(der []byte) (*x509.CertificateRequest, ed25519.PublicKey, error) {
	csr, err := x509.ParseCertificateRequest(der)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %v", ErrCSR, err)
	}
	if err := csr.CheckSignature(); err != nil {
		return nil, nil, fmt.Errorf("%w: signature does not verify: %v", ErrCSR, err)
	}
	pub, ok := csr.PublicKey.(ed25519.PublicKey)
	if !ok {
		return nil, nil, fmt.Errorf("%w: key is %T, want Ed25519", ErrCSR, csr.PublicKey)
	}
	return csr, pub, nil
}

// IssueDevice signs a client certificate for a device. Only the public key
// is taken from the CSR: names, extensions and CA requests in it are
// ignored, so a device cannot grant itself more than a device identity.
func (ca *CA) IssueDevice(pub ed25519.PublicKey, deviceName string, serial *big.Int, notBefore time.Time, validity time.Duration) (*x509.Certificate, error) {
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: deviceName, Organization: []string{"wasmbed-device"}},
		NotBefore:             notBefore.Add(-1 * time.Minute),
		NotAfter:              notBefore.Add(validity),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
		BasicConstraintsValid: true,
		IsCA:                  false,
		AuthorityKeyId:        ca.Cert.SubjectKeyId,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.Cert, pub, ca.Key)
	if err != nil {
		return nil, err
	}
	return x509.ParseCertificate(der)
}

// ServerName is the DNS name every gateway certificate carries. Devices
// verify it when they cannot know the address they reach the gateway by
// (QEMU guests behind a serial bridge).
const ServerName = "wasmbed-gateway"

// IssueServer signs a serving certificate for a gateway with the given
// extra host names and IPs, plus ServerName.
func (ca *CA) IssueServer(pub ed25519.PublicKey, gatewayName string, hosts []string, now time.Time, validity time.Duration) (*x509.Certificate, error) {
	tmpl := &x509.Certificate{
		SerialNumber:          randomSerial(),
		Subject:               pkix.Name{CommonName: gatewayName, Organization: []string{"wasmbed-gateway"}},
		NotBefore:             now.Add(-1 * time.Minute),
		NotAfter:              now.Add(validity),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		DNSNames:              []string{ServerName},
		AuthorityKeyId:        ca.Cert.SubjectKeyId,
	}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else if h != "" && h != ServerName {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.Cert, pub, ca.Key)
	if err != nil {
		return nil, err
	}
	return x509.ParseCertificate(der)
}

// ServingChain returns the chain a gateway presents after its leaf: the
// cross-certificate during an overlap, nothing otherwise.
func (ca *CA) ServingChain() []*x509.Certificate {
	if ca.CrossCert != nil {
		return []*x509.Certificate{ca.CrossCert}
	}
	return nil
}

// VerifyClient checks a device certificate chains to a trusted root for
// client authentication at time now. It does not check revocation or the
// Device object; the gateway does that.
func (ca *CA) VerifyClient(cert *x509.Certificate, now time.Time) error {
	_, err := cert.Verify(x509.VerifyOptions{
		Roots:       ca.Pool(),
		CurrentTime: now,
		KeyUsages:   []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	})
	return err
}

// IssuedByCurrent reports whether cert was signed by the current root (as
// opposed to the previous one during an overlap).
func (ca *CA) IssuedByCurrent(cert *x509.Certificate) bool {
	return cert.CheckSignatureFrom(ca.Cert) == nil
}
