package gateway

import (
	"bytes"
	"crypto/ed25519"
	"crypto/x509"
	"errors"
	"fmt"
	"time"

	wasmbedv1 "github.com/wasmbed/wasmbed/sut/api/v1alpha1"

	"github.com/wasmbed/wasmbed/sut/refusal"
)

// refusedError is an error carrying a stable reason code.
type refusedError struct {
	reason refusal.Reason
	msg    string
}

func (r *refusedError) Error() string { return string(r.reason) + ": " + r.msg }

func refuse(reason refusal.Reason, format string, args ...any) *refusedError {
	return &refusedError{reason: reason, msg: fmt.Sprintf(format, args...)}
}

// reasonOf extracts the reason code of err, or def.
func reasonOf(err error, def refusal.Reason) refusal.Reason {
	var r *refusedError
	if errors.As(err, &r) {
		return r.reason
	}
	return def
}

// peerKind says what a client's certificate entitles it to.
type peerKind int

const (
	// peerBootstrap presented a self-signed certificate for its own key: it
	// may enrol, nothing else.
	peerBootstrap peerKind = iota
	// peerDevice presented a certificate from the Wasmbed CA for a known,
	// unrevoked Device.
	peerDevice
)

// peer is the identity established by the TLS handshake.
type peer struct {
	kind   peerKind
	key    ed25519.PublicKey
	cert   *x509.Certificate
	device *wasmbedv1.Device // peerDevice only
}

// identify classifies the client certificate of a finished handshake. It
// runs inside the handshake (tls.Config.VerifyConnection), so a refusal here
// fails the handshake itself.
func (g *Gateway) identify(certs []*x509.Certificate) (*peer, error) {
	if len(certs) == 0 {
		return nil, refuse(refusal.ReasonNoClientCert, "a client certificate is required: a device's own self-signed one to enrol, its issued one for a session")
	}
	leaf := certs[0]
	key, ok := leaf.PublicKey.(ed25519.PublicKey)
	if !ok {
		return nil, refuse(refusal.ReasonBadKeyType, "certificate key is %T; devices use Ed25519", leaf.PublicKey)
	}
	if selfSigned(leaf) {
		return &peer{kind: peerBootstrap, key: key, cert: leaf}, nil
	}
	ca := g.ca.Load()
	now := time.Now()
	if err := ca.VerifyClient(leaf, now); err != nil {
		var inv x509.CertificateInvalidError
		switch {
		case errors.As(err, &inv) && inv.Reason == x509.Expired && now.Before(leaf.NotBefore):
			return nil, refuse(refusal.ReasonCertNotYetValid, "certificate is valid from %s", leaf.NotBefore.Format(time.RFC3339))
		case errors.As(err, &inv) && inv.Reason == x509.Expired:
			return nil, refuse(refusal.ReasonCertExpired, "certificate expired at %s", leaf.NotAfter.Format(time.RFC3339))
		}
		return nil, refuse(refusal.ReasonUnknownAuthority, "certificate is not issued by this Wasmbed CA: %v", err)
	}
	if ca.IsRevoked(leaf.SerialNumber) {
		return nil, refuse(refusal.ReasonCertRevoked, "certificate serial %x is on the revocation list", leaf.SerialNumber)
	}
	dev, err := g.deviceByKey(key)
	if err != nil {
		return nil, err
	}
	if dev == nil {
		return nil, refuse(refusal.ReasonUnknownDevice, "no Device in namespace %s has this certificate's key", g.opts.Namespace)
	}
	if dev.Spec.Revoked {
		return nil, refuse(refusal.ReasonDeviceRevoked, "Device %s is revoked", dev.Name)
	}
	return &peer{kind: peerDevice, key: key, cert: leaf, device: dev}, nil
}

// selfSigned reports whether c is signed by its own key with issuer equal
// to subject: a device presenting its key before it has a certificate.
func selfSigned(c *x509.Certificate) bool {
	// CheckSignature, unlike CheckSignatureFrom, does not demand CA rights of
	// the signer, which a device's bootstrap certificate rightly lacks.
	return bytes.Equal(c.RawIssuer, c.RawSubject) && c.CheckSignature(c.SignatureAlgorithm, c.RawTBSCertificate, c.Signature) == nil
}
