package gateway

import (
	"context"
	"crypto/x509"
	"time"

	"github.com/wasmbed/wasmbed/sut/pki"
	"github.com/wasmbed/wasmbed/sut/protocol"
	"github.com/wasmbed/wasmbed/sut/refusal"
)

// renew issues a fresh certificate for a connected device's own key, from
// the current CA: how devices move onto a rotated CA without re-enrolling.
func (g *Gateway) renew(ctx context.Context, s *session, req *protocol.RenewRequest) *protocol.RenewResponse {
	_, key, err := pki.ParseCSR(req.CSR)
	if err != nil {
		g.metrics.refuse(refusal.StageSession, protocol.ReasonCSRInvalid)
		return &protocol.RenewResponse{Reason: protocol.ReasonCSRInvalid}
	}
	if !key.Equal(s.peer.key) {
		g.metrics.refuse(refusal.StageSession, protocol.ReasonCSRKeyMismatch)
		g.log.Info("renewal refused", "device", s.device, "reason", protocol.ReasonCSRKeyMismatch)
		return &protocol.RenewResponse{Reason: protocol.ReasonCSRKeyMismatch}
	}
	serial := pki.NewSerial()
	now := time.Now()
	validity := certValidity(g.getSpec())
	// Record the new serial first: from then on only the new certificate
	// opens sessions.
	if err := g.patchCertificate(ctx, s.device, serial.Text(16), now.Add(validity)); err != nil {
		g.log.Warn("renewal failed", "device", s.device, "err", err)
		return &protocol.RenewResponse{Reason: protocol.ReasonInternalError}
	}
	ca := g.ca.Load()
	cert, err := ca.IssueDevice(key, s.device, serial, now, validity)
	if err != nil {
		return &protocol.RenewResponse{Reason: protocol.ReasonInternalError}
	}
	g.log.Info("certificate renewed", "device", s.device, "serial", serial.Text(16))
	return &protocol.RenewResponse{OK: true, Certificate: cert.Raw, CABundle: rawCerts(ca.Roots())}
}

func rawCerts(certs []*x509.Certificate) [][]byte {
	out := make([][]byte, len(certs))
	for i, c := range certs {
		out[i] = c.Raw
	}
	return out
}
