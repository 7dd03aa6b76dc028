package pki

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha1"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"math/big"
	"time"
)

// CA is a signing authority plus the roots it trusts.
type CA struct {
	// Cert is the current CA certificate (self-signed root).
	Cert *x509.Certificate
	// Key signs certificates and revocation lists.
	Key ed25519.PrivateKey
	// Previous is the root being rotated out, if an overlap is running.
	Previous *x509.Certificate
	// CrossCert is Cert's key and subject signed by Previous, served as an
	// intermediate during the overlap.
	CrossCert *x509.Certificate
	// Revoked lists revoked certificate serial numbers.
	Revoked []*big.Int
}

// CAValidity is the lifetime of a generated CA.
const CAValidity = 10 * 365 * 24 * time.Hour

// NewCA creates a self-signed Ed25519 CA.
func NewCA(commonName string, now time.Time) (*CA, error) {
	pub, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	tmpl := caTemplate(commonName, pub, now)
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, pub, key)
	if err != nil {
		return nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	return &CA{Cert: cert, Key: key}, nil
}

func caTemplate(commonName string, pub ed25519.PublicKey, now time.Time) *x509.Certificate {
	return &x509.Certificate{
		SerialNumber:          randomSerial(),
		Subject:               pkix.Name{CommonName: commonName, Organization: []string{"wasmbed"}},
		NotBefore:             now.Add(-5 * time.Minute),
		NotAfter:              now.Add(CAValidity),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLen:            1,
		SubjectKeyId:          keyID(pub),
	}
}

// Rotate returns a new CA that trusts ca's root during the overlap. The new
// root is cross-signed by the old key.
func (ca *CA) Rotate(now time.Time) (*CA, error) {
	next, err := NewCA(fmt.Sprintf("wasmbed-ca-%d", now.Unix()), now)
	if err != nil {
		return nil, err
	}
	cross := *next.Cert
	tmpl := &x509.Certificate{
		SerialNumber:          randomSerial(),
		Subject:               cross.Subject,
		NotBefore:             cross.NotBefore,
		NotAfter:              minTime(cross.NotAfter, ca.Cert.NotAfter),
		KeyUsage:              cross.KeyUsage,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLen:            0,
		MaxPathLenZero:        true,
		SubjectKeyId:          cross.SubjectKeyId,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.Cert, next.Key.Public(), ca.Key)
	if err != nil {
		return nil, err
	}
	next.CrossCert, err = x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	next.Previous = ca.Cert
	next.Revoked = ca.Revoked
	return next, nil
}

// EndOverlap drops the previous root: devices still on it must re-enrol.
func (ca *CA) EndOverlap() {
	ca.Previous, ca.CrossCert = nil, nil
}

// Roots returns the certificates a verifier should trust: the current root
// and, during an overlap, the previous one.
func (ca *CA) Roots() []*x509.Certificate {
	roots := []*x509.Certificate{ca.Cert}
	if ca.Previous != nil {
		roots = append(roots, ca.Previous)
	}
	return roots
}

// Pool returns Roots as a CertPool.
func (ca *CA) Pool() *x509.CertPool {
	p := x509.NewCertPool()
	for _, c := range ca.Roots() {
		p.AddCert(c)
	}
	return p
}

// IsRevoked reports whether serial is on the revocation list.
func (ca *CA) IsRevoked(serial *big.Int) bool {
	for _, r := range ca.Revoked {
		if r.Cmp(serial) == 0 {
			return true
		}
	}
	return false
}

// Revoke adds serial to the revocation list; it reports whether it was new.
func (ca *CA) Revoke(serial *big.Int) bool {
	if ca.IsRevoked(serial) {
		return false
	}
	ca.Revoked = append(ca.Revoked, new(big.Int).Set(serial))
	return true
}

// CRL renders the revocation list, signed by the current CA.
func (ca *CA) CRL(now time.Time) ([]byte, error) {
	entries := make([]x509.RevocationListEntry, len(ca.Revoked))
	for i, s := range ca.Revoked {
		entries[i] = x509.RevocationListEntry{SerialNumber: s, RevocationTime: now}
	}
	return x509.CreateRevocationList(rand.Reader, &x509.RevocationList{
		Number:                    big.NewInt(now.UnixNano()),
		ThisUpdate:                now,
		NextUpdate:                now.Add(24 * time.Hour),
		RevokedCertificateEntries: entries,
	}, ca.Cert, ca.Key)
}

// ErrNotSignedByCA is returned by ParseCRL for a list signed by another key.
var ErrNotSignedByCA = errors.New("revocation list is not signed by the CA")

// LoadCRL reads the serials of a DER revocation list signed by ca.
func (ca *CA) LoadCRL(der []byte) error {
	crl, err := x509.ParseRevocationList(der)
	if err != nil {
		return err
	}
	if err := crl.CheckSignatureFrom(ca.Cert); err != nil {
		return fmt.Errorf("%w: %v", ErrNotSignedByCA, err)
	}
	ca.Revoked = ca.Revoked[:0]
	for _, e := range crl.RevokedCertificateEntries {
		ca.Revoked = append(ca.Revoked, e.SerialNumber)
	}
	return nil
}

func randomSerial() *big.Int {
	s, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		panic(err) // crypto/rand does not fail on Linux
	}
	return s.Add(s, big.NewInt(1))
}

// NewSerial returns a random 127-bit certificate serial number.
func NewSerial() *big.Int { return randomSerial() }

func keyID(pub ed25519.PublicKey) []byte {
	h := sha1.Sum(pub) // RFC 5280 method 1 style identifier, not a security use
	return h[:]
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
