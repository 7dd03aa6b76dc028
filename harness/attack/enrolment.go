package attack

import (
	"context"
	"crypto/ed25519"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/wasmbed/wasmbed/firmware/flash"
	"github.com/wasmbed/wasmbed/fixtures/fuzz"
	"github.com/wasmbed/wasmbed/harness/tokens"
	wasmbedv1 "github.com/wasmbed/wasmbed/sut/api/v1alpha1"
	"github.com/wasmbed/wasmbed/sut/protocol"
	"github.com/wasmbed/wasmbed/sut/refusal"
)

// The enrolment attacks. Each is one enrolment a hostile client attempts
// from its own source address, with a fresh key unless it says otherwise.

// enrolRefusal sends req (its CSR for key unless req.CSR is set) over a
// bootstrap connection presenting key, and expects the refusal want.
func enrolRefusal(ctx context.Context, t *Target, key ed25519.PrivateKey, req protocol.EnrollRequest, want refusal.Reason) (Outcome, error) {
	src := t.Source()
	if req.CSR == nil {
		req.CSR = CSR(key, nil)
	}
	if req.Info.Arch == "" {
		req.Info.Arch = "x86_64"
	}
	conn, err := DialTLS(ctx, t.Addr, TLSOptions{Certificates: []tls.Certificate{SelfSigned(key, "attacker", time.Time{}, time.Time{})}, LocalIP: src})
	if err != nil {
		return Outcome{}, err
	}
	defer conn.Close()
	resp, err := Enroll(conn, &req)
	if err != nil {
		return Outcome{}, err
	}
	out := Outcome{Told: resp.Reason, Refusals: 1, Evidence: []string{"source=" + src + ":"}, Detail: string(resp.Reason) + ": " + resp.Message}
	switch {
	case resp.Accepted:
		return out, fmt.Errorf("the gateway enrolled the attacker as %s", resp.DeviceName)
	case resp.Reason != want:
		return out, fmt.Errorf("refused with %s (%s), want %s", resp.Reason, resp.Message, want)
	}
	return out, nil
}

// enrolReplayedToken replays the token a legitimate device enrolled with,
// read from its flash, with the attacker's key.
func enrolReplayedToken(ctx context.Context, t *Target) (Outcome, error) {
	b, err := t.VictimFlash.Read(flash.ProvisionToken)
	if err != nil {
		return Outcome{}, fmt.Errorf("read %s's token: %w", t.Victim, err)
	}
	_, key := NewKey()
	return enrolRefusal(ctx, t, key, protocol.EnrollRequest{Token: strings.TrimSpace(string(b)), Name: t.Victim}, protocol.ReasonTokenReused)
}

func enrolExpiredToken(ctx context.Context, t *Target) (Outcome, error) {
	tok, err := t.Token(ctx, tokens.Options{DeviceName: "atk-late", TTL: -time.Minute})
	if err != nil {
		return Outcome{}, err
	}
	_, key := NewKey()
	return enrolRefusal(ctx, t, key, protocol.EnrollRequest{Token: tok, Name: "atk-late"}, protocol.ReasonTokenExpired)
}

// enrolTokenForAnother presents a valid token bound to another device's
// name while asking to be a device of its own choosing; the token must
// survive unspent.
func enrolTokenForAnother(ctx context.Context, t *Target) (Outcome, error) {
	tok, err := t.Token(ctx, tokens.Options{DeviceName: "atk-intended"})
	if err != nil {
		return Outcome{}, err
	}
	_, key := NewKey()
	out, err := enrolRefusal(ctx, t, key, protocol.EnrollRequest{Token: tok, Name: "atk-squatter"}, protocol.ReasonTokenWrongDevice)
	if err != nil {
		return out, err
	}
	return out, t.tokenUnspent(ctx, tok)
}

func enrolCSRKeyMismatch(ctx context.Context, t *Target) (Outcome, error) {
	tok, err := t.Token(ctx, tokens.Options{DeviceName: "atk-mismatch"})
	if err != nil {
		return Outcome{}, err
	}
	_, presented := NewKey()
	_, other := NewKey()
	out, err := enrolRefusal(ctx, t, presented, protocol.EnrollRequest{CSR: CSR(other, nil), Token: tok, Name: "atk-mismatch"}, protocol.ReasonCSRKeyMismatch)
	if err != nil {
		return out, err
	}
	return out, t.tokenUnspent(ctx, tok)
}

// enrolInvalidCSR sends every refused request of the committed CSR fuzz
// corpus, each on its own connection.
func enrolInvalidCSR(ctx context.Context, t *Target) (Outcome, error) {
	seeds, err := fuzz.Seeds(fuzz.CSR)
	if err != nil {
		return Outcome{}, err
	}
	src := t.Source()
	out := Outcome{Told: protocol.ReasonCSRInvalid, Evidence: []string{"source=" + src + ":"}}
	for _, s := range seeds {
		if s.Refusal == "" {
			continue
		}
		_, key := NewKey()
		req := protocol.EnrollRequest{CSR: s.Data, Name: "atk-csr", Info: protocol.DeviceInfo{Arch: "x86_64"}}
		conn, err := DialTLS(ctx, t.Addr, TLSOptions{Certificates: []tls.Certificate{SelfSigned(key, "attacker", time.Time{}, time.Time{})}, LocalIP: src})
		if err != nil {
			return out, err
		}
		resp, err := Enroll(conn, &req)
		conn.Close()
		if err != nil {
			return out, fmt.Errorf("%s: %w", s.Name, err)
		}
		if resp.Accepted || resp.Reason != s.Refusal {
			return out, fmt.Errorf("%s: answered accepted=%v reason=%s, want %s", s.Name, resp.Accepted, resp.Reason, s.Refusal)
		}
		out.Refusals++
	}
	out.Detail = fmt.Sprintf("%d requests from the CSR corpus refused", out.Refusals)
	return out, nil
}

// enrolNameHijack uses an unbound token to claim a legitimate device's
// name with the attacker's key; the victim's key must stay its own.
func enrolNameHijack(ctx context.Context, t *Target) (Outcome, error) {
	var before wasmbedv1.Device
	if err := t.Client.Get(ctx, client.ObjectKey{Namespace: t.Namespace, Name: t.Victim}, &before); err != nil {
		return Outcome{}, err
	}
	tok, err := t.Token(ctx, tokens.Options{})
	if err != nil {
		return Outcome{}, err
	}
	_, key := NewKey()
	out, err := enrolRefusal(ctx, t, key, protocol.EnrollRequest{Token: tok, Name: t.Victim}, protocol.ReasonEnrollDenied)
	if err != nil {
		return out, err
	}
	var after wasmbedv1.Device
	if err := t.Client.Get(ctx, client.ObjectKey{Namespace: t.Namespace, Name: t.Victim}, &after); err != nil {
		return out, err
	}
	if after.Spec.PublicKey != before.Spec.PublicKey || after.UID != before.UID {
		return out, fmt.Errorf("Device %s changed hands: key %s → %s", t.Victim, before.Spec.PublicKey, after.Spec.PublicKey)
	}
	return out, t.tokenUnspent(ctx, tok)
}

// enrolRevoked re-enrols a revoked device with its own, genuine key.
func enrolRevoked(ctx context.Context, t *Target) (Outcome, error) {
	id, err := t.Revoked(ctx)
	if err != nil {
		return Outcome{}, err
	}
	return enrolRefusal(ctx, t, id.Key, protocol.EnrollRequest{}, refusal.ReasonDeviceRevoked)
}

// enrolGreedyThenCA enrols with a CSR asking for a privileged subject,
// the gateway's and the API server's names, and CA rights; checks the
// certificate carries none of them; then uses it as a CA anyway, minting a
// certificate for a fresh key and presenting it with the chain.
func enrolGreedyThenCA(ctx context.Context, t *Target) (Outcome, error) {
	id, err := t.Identity(ctx, "atk-greedy", GreedyRequest())
	if err != nil {
		return Outcome{}, err
	}
	c := id.Cert
	if c.IsCA || c.KeyUsage&x509.KeyUsageCertSign != 0 || c.Subject.CommonName != id.Name ||
		len(c.DNSNames)+len(c.IPAddresses)+len(c.URIs)+len(c.EmailAddresses) != 0 ||
		len(c.ExtKeyUsage) != 1 || c.ExtKeyUsage[0] != x509.ExtKeyUsageClientAuth {
		return Outcome{}, fmt.Errorf("the issued certificate carries what the CSR asked for: CA=%v usage=%v subject=%s names=%v %v %v %v eku=%v",
			c.IsCA, c.KeyUsage, c.Subject, c.DNSNames, c.IPAddresses, c.URIs, c.EmailAddresses, c.ExtKeyUsage)
	}
	_, key := NewKey()
	minted := ClientCert(c, id.Key, key, "minted", time.Now().Add(-time.Minute), time.Now().Add(time.Hour))
	minted.Certificate = append(minted.Certificate, c.Raw)
	out, err := handshakeRefusal(ctx, t, TLSOptions{Certificates: []tls.Certificate{minted}}, nil)
	out.Detail = "the certificate carries only the device's name; " + out.Detail
	return out, err
}

// tokenUnspent checks a refused enrolment did not burn the token.
func (t *Target) tokenUnspent(ctx context.Context, tok string) error {
	id, _, err := wasmbedv1.ParseToken(tok)
	if err != nil {
		return err
	}
	var s corev1.Secret
	if err := t.Client.Get(ctx, client.ObjectKey{Namespace: t.Namespace, Name: wasmbedv1.TokenSecretPrefix + id}, &s); err != nil {
		return err
	}
	if by := s.Annotations[wasmbedv1.AnnotationTokenUsedBy]; by != "" {
		return fmt.Errorf("a refused enrolment spent token %s (used by %s)", id, by)
	}
	return nil
}
