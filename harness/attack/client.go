package attack

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"math/big"
	"net"
	"time"

	"github.com/wasmbed/wasmbed/sut/protocol"
)

// TLSOptions shape an attacking TLS client.
type TLSOptions struct {
	// Certificates presented as the client certificate.
	Certificates []tls.Certificate
	// RootCAs verify the gateway; nil skips verification (an attacker
	// does not care who it talks to).
	RootCAs *x509.CertPool
	// MinVersion, MaxVersion and CipherSuites override the protocol
	// offer (TLS 1.2-only, weak suites).
	MinVersion, MaxVersion uint16
	CipherSuites           []uint16
	// LocalIP picks the source address on loopback (127.0.0.x), so an
	// attack has its own source for rate limiting.
	LocalIP string
	// Timeout bounds dial and handshake; 5 s if zero.
	Timeout time.Duration
}

// DialTLS connects to addr and completes a TLS handshake. In TLS 1.3 the
// gateway's verdict on the client certificate arrives after the client's
// handshake returns, so callers should read once to see a refusal.
func DialTLS(ctx context.Context, addr string, o TLSOptions) (*tls.Conn, error) {
	if o.Timeout == 0 {
		o.Timeout = 5 * time.Second
	}
	raw, err := DialRaw(ctx, addr, o.LocalIP, o.Timeout)
	if err != nil {
		return nil, err
	}
	cfg := &tls.Config{
		Certificates:       o.Certificates,
		RootCAs:            o.RootCAs,
		InsecureSkipVerify: o.RootCAs == nil, //nolint:gosec // attackers do not verify
		ServerName:         "wasmbed-gateway",
		MinVersion:         o.MinVersion,
		MaxVersion:         o.MaxVersion,
		CipherSuites:       o.CipherSuites,
	}
	if cfg.MinVersion == 0 {
		cfg.MinVersion = tls.VersionTLS12
	}
	tc := tls.Client(raw, cfg)
	_ = raw.SetDeadline(time.Now().Add(o.Timeout))
	if err := tc.HandshakeContext(ctx); err != nil {
		raw.Close()
		return nil, err
	}
	_ = raw.SetDeadline(time.Time{})
	return tc, nil
}

// DialRaw opens a plain TCP connection to addr from localIP ("" for any),
// for attacks that speak below TLS.
func DialRaw(ctx context.Context, addr, localIP string, timeout time.Duration) (net.Conn, error) {
	if timeout == 0 {
		timeout = 5 * time.Second
	}
	d := net.Dialer{Timeout: timeout}
	if localIP != "" {
		d.LocalAddr = &net.TCPAddr{IP: net.ParseIP(localIP)}
	}
	return d.DialContext(ctx, "tcp", addr)
}

// NewKey returns a fresh Ed25519 key pair.
func NewKey() (ed25519.PublicKey, ed25519.PrivateKey) {
	pub, key, _ := ed25519.GenerateKey(rand.Reader)
	return pub, key
}

// SelfSigned returns a self-signed client certificate for key, valid from
// notBefore to notAfter (zero values: now-1m to now+1h).
func SelfSigned(key ed25519.PrivateKey, cn string, notBefore, notAfter time.Time) tls.Certificate {
	if notBefore.IsZero() {
		notBefore = time.Now().Add(-time.Minute)
	}
	if notAfter.IsZero() {
		notAfter = time.Now().Add(time.Hour)
	}
	serial, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 64))
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: cn},
		NotBefore:    notBefore,
		NotAfter:     notAfter,
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		panic(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// CSR returns a DER certificate request signed by key, with extra fields
// from tmpl (names, extensions) if given.
func CSR(key ed25519.PrivateKey, tmpl *x509.CertificateRequest) []byte {
	if tmpl == nil {
		tmpl = &x509.CertificateRequest{Subject: pkix.Name{CommonName: "attacker"}}
	}
	der, err := x509.CreateCertificateRequest(rand.Reader, tmpl, key)
	if err != nil {
		panic(err)
	}
	return der
}

// Enroll sends one EnrollRequest on conn and returns the answer.
func Enroll(conn net.Conn, req *protocol.EnrollRequest) (*protocol.EnrollResponse, error) {
	pc := protocol.NewConn(conn, 0)
	if err := pc.Send(pc.NewID(), req); err != nil {
		return nil, err
	}
	_ = conn.SetReadDeadline(time.Now().Add(40 * time.Second))
	_, m, err := pc.Recv()
	if err != nil {
		return nil, err
	}
	switch m := m.(type) {
	case *protocol.EnrollResponse:
		return m, nil
	case *protocol.Error:
		return &protocol.EnrollResponse{Reason: m.Code, Message: m.Message}, nil
	}
	return nil, fmt.Errorf("unexpected %s", m.Type())
}
