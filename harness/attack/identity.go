package attack

import (
	"context"
	"crypto/ed25519"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"time"

	"github.com/wasmbed/wasmbed/harness/tokens"
	"github.com/wasmbed/wasmbed/sut/protocol"
)

// Identity is a device identity the attacker enrolled itself, through the
// real enrolment protocol: an insider, or a device an attacker owns. It is
// what session-level attacks need — a certificate the gateway issued.
type Identity struct {
	// Name is the Device the gateway enrolled it as.
	Name string
	Key  ed25519.PrivateKey
	// Cert is the certificate the gateway returned.
	Cert *x509.Certificate
}

// TLSCertificate is the identity's client certificate with its key.
func (id *Identity) TLSCertificate() tls.Certificate {
	return tls.Certificate{Certificate: [][]byte{id.Cert.Raw}, PrivateKey: id.Key, Leaf: id.Cert}
}

// Enrol runs one enrolment from localIP: a TLS connection presenting a
// self-signed certificate for key, one EnrollRequest with a CSR built from
// tmpl (nil: a plain one), and the answer. It returns the identity if the
// gateway issued a certificate, and the response either way.
func Enrol(ctx context.Context, addr, localIP string, key ed25519.PrivateKey, req protocol.EnrollRequest, tmpl *x509.CertificateRequest) (*Identity, *protocol.EnrollResponse, error) {
	if tmpl == nil {
		tmpl = &x509.CertificateRequest{Subject: pkix.Name{CommonName: req.Name}}
	}
	req.CSR = CSR(key, tmpl)
	if req.Info.Arch == "" {
		req.Info.Arch = "x86_64"
	}
	conn, err := DialTLS(ctx, addr, TLSOptions{Certificates: []tls.Certificate{SelfSigned(key, req.Name, time.Time{}, time.Time{})}, LocalIP: localIP})
	if err != nil {
		return nil, nil, err
	}
	defer conn.Close()
	resp, err := Enroll(conn, &req)
	if err != nil {
		return nil, nil, err
	}
	if !resp.Accepted {
		return nil, resp, nil
	}
	cert, err := x509.ParseCertificate(resp.Certificate)
	if err != nil {
		return nil, resp, fmt.Errorf("the gateway issued an unreadable certificate: %w", err)
	}
	return &Identity{Name: resp.DeviceName, Key: key, Cert: cert}, resp, nil
}

// Identity returns the attacker-owned identity called name, enrolling it
// with a fresh token bound to that name on first use. tmpl shapes its CSR
// (nil: a plain one). The token Secret and the Device are recorded as
// setup.
func (t *Target) Identity(ctx context.Context, name string, tmpl *x509.CertificateRequest) (*Identity, error) {
	t.mu.Lock()
	id := t.identities[name]
	t.mu.Unlock()
	if id != nil {
		return id, nil
	}
	tok, err := t.Token(ctx, tokens.Options{DeviceName: name})
	if err != nil {
		return nil, err
	}
	_, key := NewKey()
	id, resp, err := Enrol(ctx, t.Addr, t.Source(), key, protocol.EnrollRequest{Token: tok, Name: name}, tmpl)
	if err != nil {
		return nil, fmt.Errorf("enrol %s: %w", name, err)
	}
	t.track("Device", name)
	if id == nil {
		return nil, fmt.Errorf("enrol %s: refused with %s: %s", name, resp.Reason, resp.Message)
	}
	t.mu.Lock()
	if t.identities == nil {
		t.identities = map[string]*Identity{}
	}
	t.identities[name] = id
	t.mu.Unlock()
	return id, nil
}

// Hello is the first message of a session, as a device sends it.
func Hello(versions ...uint) *protocol.Hello {
	if len(versions) == 0 {
		versions = protocol.SupportedVersions
	}
	return &protocol.Hello{Versions: versions, Info: protocol.DeviceInfo{Arch: "x86_64"}}
}
