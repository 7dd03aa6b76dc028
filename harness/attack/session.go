package attack

import (
	"context"
	"crypto/tls"
	"fmt"
	"time"

	"github.com/wasmbed/wasmbed/sut/protocol"
	"github.com/wasmbed/wasmbed/sut/refusal"
)

// The session attacks need a certificate the gateway issued: they come
// from an insider, a device the attacker enrolled (Target.Identity), and
// break the session protocol rather than the handshake.

// sessionRefusal opens a session with cert from a fresh source, sends
// first, and expects an Error with code want.
func sessionRefusal(ctx context.Context, t *Target, cert tls.Certificate, first protocol.Message, want refusal.Reason) (Outcome, error) {
	src := t.Source()
	r := Exchange(ctx, t.Addr, TLSOptions{Certificates: []tls.Certificate{cert}, LocalIP: src}, EncodeFrame(first))
	out := Outcome{Told: r.Code(), Refusals: 1, Evidence: []string{"source=" + src + ":"}, Detail: r.String()}
	if r.Code() != want {
		return out, fmt.Errorf("answered %s, want an Error with %s", r, want)
	}
	return out, nil
}

// sessionBeforeHello sends a Heartbeat as the first message of a session.
func sessionBeforeHello(ctx context.Context, t *Target) (Outcome, error) {
	id, err := t.Identity(ctx, "atk-insider", nil)
	if err != nil {
		return Outcome{}, err
	}
	return sessionRefusal(ctx, t, id.TLSCertificate(), &protocol.Heartbeat{Seq: 1}, protocol.ReasonUnexpectedMessage)
}

// sessionUnknownVersion offers only a protocol version nobody speaks.
func sessionUnknownVersion(ctx context.Context, t *Target) (Outcome, error) {
	id, err := t.Identity(ctx, "atk-insider", nil)
	if err != nil {
		return Outcome{}, err
	}
	return sessionRefusal(ctx, t, id.TLSCertificate(), Hello(99, 1000), protocol.ReasonUnsupportedVersion)
}

// sessionSuperseded re-enrols a device (as a clone would, with the same
// key) and then opens a session with the certificate it had before.
func sessionSuperseded(ctx context.Context, t *Target) (Outcome, error) {
	id, err := t.Identity(ctx, "atk-cloned", nil)
	if err != nil {
		return Outcome{}, err
	}
	renewed, resp, err := Enrol(ctx, t.Addr, t.Source(), id.Key, protocol.EnrollRequest{Name: id.Name}, nil)
	if err != nil {
		return Outcome{}, err
	}
	if renewed == nil {
		return Outcome{}, fmt.Errorf("re-enrolment refused with %s: %s", resp.Reason, resp.Message)
	}
	if renewed.Cert.SerialNumber.Cmp(id.Cert.SerialNumber) == 0 {
		return Outcome{}, fmt.Errorf("re-enrolment returned the same certificate")
	}
	return sessionRefusal(ctx, t, id.TLSCertificate(), Hello(), refusal.ReasonSupersededCert)
}

// selfSignedSession opens a session with a self-signed certificate: it
// may enrol, nothing else.
func selfSignedSession(ctx context.Context, t *Target) (Outcome, error) {
	_, key := NewKey()
	return sessionRefusal(ctx, t, SelfSigned(key, "fleet-00", time.Time{}, time.Time{}), Hello(), protocol.ReasonNotEnrolled)
}
