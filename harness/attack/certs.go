package attack

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"net"
	"net/url"
	"time"

	"github.com/wasmbed/wasmbed/sut/pki"
)

// ClientCert signs a device-style client certificate (clientAuth, not a
// CA) for key's public half, valid from notBefore to notAfter, with
// issuer's certificate and signing key. issuer need not be a CA: an
// attacker signing with a device's own certificate is one of the attacks.
func ClientCert(issuer *x509.Certificate, issuerKey crypto.Signer, key crypto.Signer, cn string, notBefore, notAfter time.Time) tls.Certificate {
	tmpl := &x509.Certificate{
		SerialNumber:          pki.NewSerial(),
		Subject:               pkix.Name{CommonName: cn, Organization: []string{"wasmbed-device"}},
		NotBefore:             notBefore,
		NotAfter:              notAfter,
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
		BasicConstraintsValid: true,
		AuthorityKeyId:        issuer.SubjectKeyId,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, issuer, key.Public(), issuerKey)
	if err != nil {
		panic(err) // only programming errors: the inputs are the attack's own
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// ForeignCA is a CA the attacker made: a well-formed Ed25519 CA that the
// gateway has never trusted.
func ForeignCA() *pki.CA {
	ca, err := pki.NewCA("wasmbed-ca", time.Now()) // the same name as the real one: names prove nothing
	if err != nil {
		panic(err)
	}
	return ca
}

// ECDSASelfSigned is a self-signed client certificate for a P-256 key:
// well-formed, but not the key type devices use.
func ECDSASelfSigned(cn string) tls.Certificate {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		panic(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: pki.NewSerial(),
		Subject:      pkix.Name{CommonName: cn},
		NotBefore:    time.Now().Add(-time.Minute),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		panic(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// Stolen pairs a certificate someone else holds the key of with the
// attacker's own key: what an attacker can present after copying a
// device's certificate but not its private key.
func Stolen(certDER []byte) tls.Certificate {
	_, key := NewKey()
	return tls.Certificate{Certificate: [][]byte{certDER}, PrivateKey: key}
}

// GreedyRequest is a certificate request asking for everything a device
// must not get: a privileged subject, the names of the gateway and of the
// API server, an IP, a URI and an e-mail SAN, CA rights with certificate
// signing, and server authentication.
func GreedyRequest() *x509.CertificateRequest {
	admin, _ := url.Parse("spiffe://cluster/ns/kube-system/sa/admin")
	bc, _ := asn1.Marshal(struct {
		IsCA       bool `asn1:"optional"`
		MaxPathLen int  `asn1:"optional,default:-1"`
	}{IsCA: true, MaxPathLen: 3})
	ku, _ := asn1.Marshal(asn1.BitString{Bytes: []byte{0x06}, BitLength: 7})     // keyCertSign | cRLSign
	eku, _ := asn1.Marshal([]asn1.ObjectIdentifier{{1, 3, 6, 1, 5, 5, 7, 3, 1}}) // serverAuth
	return &x509.CertificateRequest{
		Subject:        pkix.Name{CommonName: "system:masters", Organization: []string{"system:masters"}},
		DNSNames:       []string{pki.ServerName, "kubernetes.default.svc"},
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
