package agent

import (
	"context"
	"crypto/tls"
	"fmt"
	"strings"
	"time"

	"github.com/wasmbed/wasmbed/firmware/flash"
	"github.com/wasmbed/wasmbed/sut/protocol"
)

// enroll runs one enrolment attempt: a TLS 1.3 connection that
// authenticates the gateway and presents the device's self-signed
// certificate, one EnrollRequest with the CSR, and the answer.
func (a *Agent) enroll(ctx context.Context) error {
	start := time.Now()
	token := a.cfg.Token
	if token == "" {
		if b, err := a.cfg.Store.Read(flash.ProvisionToken); err == nil {
			token = strings.TrimSpace(string(b))
		}
	}
	boot, err := a.id.bootstrapCert(a.Name())
	if err != nil {
		return err
	}
	csr, err := a.id.csr(a.Name())
	if err != nil {
		return err
	}
	start = time.Now()
	conn, err := a.dialTLS(ctx, boot)
	if err != nil {
		return err
	}
	defer conn.Close()
	pc := protocol.NewConn(conn, 0)
	if err := pc.Send(pc.NewID(), &protocol.EnrollRequest{CSR: csr, Token: token, Name: a.cfg.Name, Info: a.info()}); err != nil {
		return err
	}
	// Approval may wait on the controller; allow for it.
	_ = conn.SetReadDeadline(time.Now().Add(a.cfg.HandshakeTimeout + 30*time.Second))
	_, m, err := pc.Recv()
	if err != nil {
		return fmt.Errorf("enrolment answer: %w", err)
	}
	// Enrolment latency is the protocol's: dial to answer. Persisting the
	// certificate is the device's flash, and is not the gateway's to answer
	// for.
	took := time.Since(start)
	switch m := m.(type) {
	case *protocol.EnrollResponse:
		if !m.Accepted {
			a.log.Warn("enrollment refused", "reason", m.Reason, "message", m.Message)
			a.emit(Event{Kind: EventEnrollRefused, Reason: m.Reason, Message: m.Message})
			return &Refusal{Reason: m.Reason, Message: m.Message}
		}
		if err := a.id.save(a.cfg.Store, m.Certificate, m.CABundle); err != nil {
			return err
		}
		if m.DeviceName != "" {
			a.name.Store(m.DeviceName)
		}
		a.log.Info("enrolled", "name", m.DeviceName, "took", took.Round(time.Millisecond))
		a.emit(Event{Kind: EventEnrolled, Latency: took})
		return nil
	case *protocol.Error:
		a.log.Warn("enrollment refused", "reason", m.Code, "message", m.Message)
		a.emit(Event{Kind: EventEnrollRefused, Reason: m.Code, Message: m.Message})
		return &Refusal{Reason: m.Code, Message: m.Message}
	default:
		return fmt.Errorf("unexpected %s in answer to enrolment", m.Type())
	}
}

// dialTLS opens a TLS 1.3 connection to the gateway presenting cert.
func (a *Agent) dialTLS(ctx context.Context, cert tls.Certificate) (*tls.Conn, error) {
	dctx, cancel := context.WithTimeout(ctx, a.cfg.HandshakeTimeout)
	defer cancel()
	raw, err := a.cfg.Dial(dctx)
	if err != nil {
		return nil, fmt.Errorf("dial gateway: %w", err)
	}
	tc := tls.Client(raw, &tls.Config{
		MinVersion:   tls.VersionTLS13,
		Certificates: []tls.Certificate{cert},
		RootCAs:      a.id.bundle,
		ServerName:   a.cfg.ServerName,
	})
	if err := tc.HandshakeContext(dctx); err != nil {
		raw.Close()
		if isRemoteAlert(err) {
			return nil, &Refusal{Reason: "handshake_refused", Message: err.Error()}
		}
		return nil, fmt.Errorf("TLS handshake: %w", err)
	}
	return tc, nil
}
