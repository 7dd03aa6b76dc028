package attack

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net"
	"time"

	"github.com/wasmbed/wasmbed/firmware/flash"
	"github.com/wasmbed/wasmbed/sut/protocol"
	"github.com/wasmbed/wasmbed/sut/refusal"
)

// The TLS attacks. Each connects from its own source address, completes
// its half of the handshake if it can, and sends the Hello a device would:
// a gateway that let it through would answer with a HelloAck.

// handshakeRefusal runs one connection with o and expects the gateway to
// refuse it at the handshake: an alert, a failed handshake or a closed
// connection, never a protocol answer.
func handshakeRefusal(ctx context.Context, t *Target, o TLSOptions, send []byte) (Outcome, error) {
	if o.LocalIP == "" {
		o.LocalIP = t.Source()
	}
	if send == nil {
		send = EncodeFrame(Hello())
	}
	r := Exchange(ctx, t.Addr, o, send)
	if !r.Refused() || r.Message != nil {
		return Outcome{}, fmt.Errorf("the gateway did not refuse the handshake: %s", r)
	}
	return Outcome{Refusals: 1, Evidence: []string{"source=" + o.LocalIP + ":"}, Detail: r.String()}, nil
}

func tlsNoClientCert(ctx context.Context, t *Target) (Outcome, error) {
	return handshakeRefusal(ctx, t, TLSOptions{}, nil)
}

func tlsForeignCA(ctx context.Context, t *Target) (Outcome, error) {
	ca := ForeignCA()
	_, key := NewKey()
	cert := ClientCert(ca.Cert, ca.Key, key, "fleet-00", time.Now().Add(-time.Hour), time.Now().Add(time.Hour))
	return handshakeRefusal(ctx, t, TLSOptions{Certificates: []tls.Certificate{cert}}, nil)
}

// genuine issues a certificate from the gateway's own CA for a fresh key.
func genuine(ctx context.Context, t *Target, notBefore, notAfter time.Time) (tls.Certificate, error) {
	ca, err := t.CA(ctx)
	if err != nil {
		return tls.Certificate{}, err
	}
	_, key := NewKey()
	return ClientCert(ca.Cert, ca.Key, key, "ghost", notBefore, notAfter), nil
}

func tlsExpired(ctx context.Context, t *Target) (Outcome, error) {
	cert, err := genuine(ctx, t, time.Now().Add(-48*time.Hour), time.Now().Add(-24*time.Hour))
	if err != nil {
		return Outcome{}, err
	}
	return handshakeRefusal(ctx, t, TLSOptions{Certificates: []tls.Certificate{cert}}, nil)
}

func tlsNotYetValid(ctx context.Context, t *Target) (Outcome, error) {
	cert, err := genuine(ctx, t, time.Now().Add(24*time.Hour), time.Now().Add(48*time.Hour))
	if err != nil {
		return Outcome{}, err
	}
	return handshakeRefusal(ctx, t, TLSOptions{Certificates: []tls.Certificate{cert}}, nil)
}

func tlsNoDevice(ctx context.Context, t *Target) (Outcome, error) {
	cert, err := genuine(ctx, t, time.Now().Add(-time.Minute), time.Now().Add(time.Hour))
	if err != nil {
		return Outcome{}, err
	}
	return handshakeRefusal(ctx, t, TLSOptions{Certificates: []tls.Certificate{cert}}, nil)
}

// tlsRevoked presents a genuine certificate after its Device was revoked.
// The gateway learns of the revocation list through its informer, so the
// attack repeats until the refusal names it (a refusal for the revoked
// Device comes first if the list lags), and checks that the Device's
// status says why.
func tlsRevoked(ctx context.Context, t *Target) (Outcome, error) {
	id, err := t.Revoked(ctx)
	if err != nil {
		return Outcome{}, err
	}
	msg, err := t.RevocationOnStatus(ctx, id.Name)
	if err != nil {
		return Outcome{}, err
	}
	labels := map[string]string{"stage": string(refusal.StageHandshake), "reason": string(refusal.ReasonCertRevoked)}
	before, err := t.Metric(ctx, "wasmbed_gateway_refusals_total", labels)
	if err != nil {
		return Outcome{}, err
	}
	o := TLSOptions{Certificates: []tls.Certificate{id.TLSCertificate()}, LocalIP: t.Source()}
	var out Outcome
	err = poll(ctx, 15*time.Second, func(ctx context.Context) (bool, error) {
		if out, err = handshakeRefusal(ctx, t, o, nil); err != nil {
			return false, err
		}
		now, err := t.Metric(ctx, "wasmbed_gateway_refusals_total", labels)
		return now > before, err
	})
	out.Detail += "; Device status: " + msg
	return out, err
}

func tls12Only(ctx context.Context, t *Target) (Outcome, error) {
	_, key := NewKey()
	self := SelfSigned(key, "legacy", time.Time{}, time.Time{})
	return handshakeRefusal(ctx, t, TLSOptions{Certificates: []tls.Certificate{self}, MinVersion: tls.VersionTLS10, MaxVersion: tls.VersionTLS12}, nil)
}

// tlsWeakSuites offers TLS 1.3 with nothing but broken suites, in a
// hand-made ClientHello, and expects a handshake_failure alert.
func tlsWeakSuites(ctx context.Context, t *Target) (Outcome, error) {
	src := t.Source()
	conn, err := DialRaw(ctx, t.Addr, src, 0)
	if err != nil {
		return Outcome{}, err
	}
	defer conn.Close()
	if _, err := conn.Write(ClientHello(WeakSuites)); err != nil {
		return Outcome{}, err
	}
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	b, err := io.ReadAll(io.LimitReader(conn, 64))
	if desc := AlertDescription(b); desc != 40 {
		return Outcome{}, fmt.Errorf("the gateway answered a weak-suites-only ClientHello with %x (%v), not a handshake_failure alert", b, err)
	}
	return Outcome{Refusals: 1, Evidence: []string{"source=" + src + ":"}, Detail: "handshake_failure alert"}, nil
}

// tlsStolenCert presents a legitimate device's certificate, read from its
// flash, signing the handshake with the attacker's own key.
func tlsStolenCert(ctx context.Context, t *Target) (Outcome, error) {
	der, err := certificateOnFlash(t.VictimFlash)
	if err != nil {
		return Outcome{}, fmt.Errorf("read %s's certificate: %w", t.Victim, err)
	}
	return handshakeRefusal(ctx, t, TLSOptions{Certificates: []tls.Certificate{Stolen(der)}}, nil)
}

func tlsWrongKeyType(ctx context.Context, t *Target) (Outcome, error) {
	return handshakeRefusal(ctx, t, TLSOptions{Certificates: []tls.Certificate{ECDSASelfSigned("p256")}}, EncodeFrame(&protocol.EnrollRequest{CSR: []byte{0x30}}))
}

// tlsEarlyFrame sends an EnrollRequest in the same flight as the client's
// Finished, under a certificate the gateway refuses: the request must
// never be processed.
func tlsEarlyFrame(ctx context.Context, t *Target) (Outcome, error) {
	before, err := t.Metric(ctx, "wasmbed_gateway_enrollments_total", nil)
	if err != nil {
		return Outcome{}, err
	}
	ca := ForeignCA()
	_, key := NewKey()
	cert := ClientCert(ca.Cert, ca.Key, key, "early", time.Now().Add(-time.Hour), time.Now().Add(time.Hour))
	req := &protocol.EnrollRequest{CSR: CSR(key, nil), Name: "early", Info: protocol.DeviceInfo{Arch: "x86_64"}}
	out, err := handshakeRefusal(ctx, t, TLSOptions{Certificates: []tls.Certificate{cert}}, EncodeFrame(req))
	if err != nil {
		return out, err
	}
	after, err := t.Metric(ctx, "wasmbed_gateway_enrollments_total", nil)
	if err != nil {
		return out, err
	}
	if after != before {
		return out, fmt.Errorf("the gateway processed an enrolment request sent before its handshake completed (%v → %v enrolments)", before, after)
	}
	return out, nil
}

// plaintextBeforeTLS speaks the protocol with no TLS at all: a Hello frame
// as the first bytes on the device port.
func plaintextBeforeTLS(ctx context.Context, t *Target) (Outcome, error) {
	src := t.Source()
	conn, err := DialRaw(ctx, t.Addr, src, 0)
	if err != nil {
		return Outcome{}, err
	}
	defer conn.Close()
	if _, err := conn.Write(EncodeFrame(Hello())); err != nil {
		return Outcome{}, err
	}
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	b, err := io.ReadAll(io.LimitReader(conn, 64))
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return Outcome{}, fmt.Errorf("the gateway kept a plaintext connection open after %x", b)
	}
	if payload, ferr := protocol.ReadFrame(bytes.NewReader(b), protocol.DefaultMaxFrame); ferr == nil {
		if _, m, derr := protocol.Decode(payload); derr == nil {
			return Outcome{}, fmt.Errorf("the gateway answered plaintext with %s", m.Type())
		}
	}
	return Outcome{Refusals: 1, Evidence: []string{"source=" + src + ":"}, Detail: fmt.Sprintf("connection closed after %d bytes", len(b))}, nil
}

// certificateOnFlash reads the certificate a device stores in its flash.
func certificateOnFlash(store flash.Store) ([]byte, error) {
	pemBytes, err := store.Read(flash.IdentityCert)
	if err != nil {
		return nil, err
	}
	certs, err := parsePEMCerts(pemBytes)
	if err != nil || len(certs) == 0 {
		return nil, fmt.Errorf("%s holds no certificate: %v", flash.IdentityCert, err)
	}
	return certs[0].Raw, nil
}

func parsePEMCerts(b []byte) ([]*x509.Certificate, error) {
	var out []*x509.Certificate
	for {
		block, rest := pem.Decode(b)
		if block == nil {
			return out, nil
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
		b = rest
	}
}
