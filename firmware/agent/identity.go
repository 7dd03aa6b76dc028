package agent

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"time"

	"github.com/wasmbed/wasmbed/firmware/flash"
	"github.com/wasmbed/wasmbed/sut/protocol"
)

// identity is the device's key and, once enrolled, its certificate.
type identity struct {
	key    ed25519.PrivateKey
	cert   *x509.Certificate // nil until enrolled
	bundle *x509.CertPool    // CAs to trust for the gateway
}

// loadIdentity reads the key from flash, generating and storing one on
// first boot, plus the certificate and trust bundle if present.
func loadIdentity(store flash.Store) (*identity, error) {
	id := &identity{}
	data, err := store.Read(flash.IdentityKey)
	switch {
	case errors.Is(err, flash.ErrNotExist):
		_, key, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			return nil, err
		}
		der, err := x509.MarshalPKCS8PrivateKey(key)
		if err != nil {
			return nil, err
		}
		if err := store.Write(flash.IdentityKey, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})); err != nil {
			return nil, fmt.Errorf("store key: %w", err)
		}
		// The public half, in the Device.spec.publicKey encoding, is what an
		// operator reads off a device to pre-register it.
		if err := store.Write(flash.IdentityPublicKey, []byte(protocol.EncodePublicKey(key.Public().(ed25519.PublicKey))+"\n")); err != nil {
			return nil, fmt.Errorf("store public key: %w", err)
		}
		id.key = key
	case err != nil:
		return nil, err
	default:
		block, _ := pem.Decode(data)
		if block == nil {
			return nil, fmt.Errorf("%s is not PEM", flash.IdentityKey)
		}
		k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
		if err != nil {
			return nil, err
		}
		key, ok := k.(ed25519.PrivateKey)
		if !ok {
			return nil, fmt.Errorf("%s holds a %T, want Ed25519", flash.IdentityKey, k)
		}
		id.key = key
	}
	if data, err := store.Read(flash.IdentityCert); err == nil {
		if block, _ := pem.Decode(data); block != nil {
			if c, err := x509.ParseCertificate(block.Bytes); err == nil && c.PublicKey.(ed25519.PublicKey).Equal(id.key.Public()) {
				id.cert = c
			}
		}
	}
	for _, name := range []string{flash.IdentityCABundle, flash.ProvisionCA} {
		if data, err := store.Read(name); err == nil {
			pool := x509.NewCertPool()
			if pool.AppendCertsFromPEM(data) {
				id.bundle = pool
				break
			}
		}
	}
	if id.bundle == nil {
		return nil, fmt.Errorf("no CA bundle in flash (%s or %s): the device cannot authenticate a gateway", flash.IdentityCABundle, flash.ProvisionCA)
	}
	return id, nil
}

// save stores a newly issued certificate and trust bundle. The bundle goes
// first: a power cut between the two leaves the old certificate with a
// bundle that still trusts its issuer during any rotation overlap.
func (id *identity) save(store flash.Store, certDER []byte, bundle [][]byte) error {
	c, err := x509.ParseCertificate(certDER)
	if err != nil {
		return fmt.Errorf("issued certificate unreadable: %w", err)
	}
	if pub, ok := c.PublicKey.(ed25519.PublicKey); !ok || !pub.Equal(id.key.Public()) {
		return errors.New("issued certificate is not for this device's key")
	}
	if len(bundle) > 0 {
		var pemBundle []byte
		pool := x509.NewCertPool()
		for _, der := range bundle {
			ca, err := x509.ParseCertificate(der)
			if err != nil {
				return fmt.Errorf("CA bundle unreadable: %w", err)
			}
			pool.AddCert(ca)
			pemBundle = append(pemBundle, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})...)
		}
		if err := store.Write(flash.IdentityCABundle, pemBundle); err != nil {
			return err
		}
		id.bundle = pool
	}
	if err := store.Write(flash.IdentityCert, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: certDER})); err != nil {
		return err
	}
	id.cert = c
	return nil
}

// forget drops the certificate, e.g. after the gateway said the device is
// unknown; the key stays.
func (id *identity) forget(store flash.Store) {
	id.cert = nil
	_ = store.Remove(flash.IdentityCert)
}

// csr makes a PKCS#10 request for the device key.
func (id *identity) csr(name string) ([]byte, error) {
	return x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{
		Subject: pkix.Name{CommonName: name},
	}, id.key)
}

// bootstrapCert is a short-lived self-signed certificate for the device's
// key. Presenting it in the enrolment handshake proves the device holds the
// key its CSR names.
func (id *identity) bootstrapCert(name string) (tls.Certificate, error) {
	now := time.Now()
	serial, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 64))
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: name, Organization: []string{"wasmbed-bootstrap"}},
		NotBefore:    now.Add(-time.Minute),
		NotAfter:     now.Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, id.key.Public(), id.key)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: id.key}, nil
}

// sessionCert is the issued certificate as a TLS client certificate.
func (id *identity) sessionCert() tls.Certificate {
	return tls.Certificate{Certificate: [][]byte{id.cert.Raw}, PrivateKey: id.key, Leaf: id.cert}
}
