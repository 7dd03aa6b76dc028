package gateway

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/validation"
	"sigs.k8s.io/controller-runtime/pkg/client"

	wasmbedv1 "github.com/wasmbed/wasmbed/sut/api/v1alpha1"
	"github.com/wasmbed/wasmbed/sut/pki"
	"github.com/wasmbed/wasmbed/sut/protocol"
	"github.com/wasmbed/wasmbed/sut/refusal"
)

// handleEnrollment serves a connection that presented a bootstrap
// certificate: one EnrollRequest, one answer.
func (g *Gateway) handleEnrollment(ctx context.Context, conn *protocol.Conn, p *peer, source string) {
	_ = conn.Raw().SetReadDeadline(time.Now().Add(g.opts.HandshakeTimeout))
	env, m, err := conn.Recv()
	if err != nil {
		if isTimeout(err) {
			// A client that completes the handshake and then says nothing
			// holds a connection slot: refused and counted like a slow
			// handshake, not dropped silently.
			g.metrics.refuse(refusal.StageEnrollment, refusal.ReasonFirstMessageTimeout)
			g.log.Info("enrollment refused", "reason", refusal.ReasonFirstMessageTimeout, "source", source, "waited", g.opts.HandshakeTimeout)
			sendError(conn, 0, refusal.ReasonFirstMessageTimeout, "no enrolment request within the handshake timeout")
			return
		}
		g.frameError(conn, err, source, "")
		return
	}
	req, ok := m.(*protocol.EnrollRequest)
	if !ok {
		reason := protocol.ReasonUnexpectedMessage
		if m.Type() == protocol.TypeHello {
			reason = protocol.ReasonNotEnrolled
		}
		g.metrics.refuse(refusal.StageSession, reason)
		g.log.Info("message refused", "reason", reason, "source", source, "type", m.Type().String())
		sendError(conn, env.ID, reason, "a self-signed certificate can only enrol; present the certificate issued at enrolment to open a session")
		return
	}
	_ = conn.Raw().SetReadDeadline(time.Time{})
	resp := g.enroll(ctx, req, p, source)
	_ = conn.Send(env.ID, resp)
}

// enroll runs the enrolment workflow and answers with a certificate or a
// refusal reason. Every outcome is logged and counted.
func (g *Gateway) enroll(ctx context.Context, req *protocol.EnrollRequest, p *peer, source string) *protocol.EnrollResponse {
	start := time.Now()
	name, cert, err := g.enrollSteps(ctx, req, p, source)
	if err != nil {
		reason, msg := reasonOf(err, protocol.ReasonInternalError), err.Error()
		var r *refusedError
		if errors.As(err, &r) {
			msg = r.msg
		}
		g.metrics.enrollments.WithLabelValues(string(reason)).Inc()
		g.metrics.refuse(refusal.StageEnrollment, reason)
		g.log.Info("enrollment refused", "reason", reason, "source", source, "device", name, "message", msg)
		return &protocol.EnrollResponse{Reason: reason, Message: msg, DeviceName: name}
	}
	g.metrics.enrollments.WithLabelValues("accepted").Inc()
	g.log.Info("device enrolled", "device", name, "source", source, "took", time.Since(start))
	return &protocol.EnrollResponse{Accepted: true, DeviceName: name, Certificate: cert, CABundle: rawCerts(g.ca.Load().Roots())}
}

func (g *Gateway) enrollSteps(ctx context.Context, req *protocol.EnrollRequest, p *peer, source string) (string, []byte, error) {
	if !g.limiter.allow(source) {
		return "", nil, refuse(protocol.ReasonRateLimited, "too many enrolment attempts from %s", source)
	}
	_, csrKey, err := pki.ParseCSR(req.CSR)
	if err != nil {
		return "", nil, refuse(protocol.ReasonCSRInvalid, "%v", err)
	}
	if !csrKey.Equal(p.key) {
		return "", nil, refuse(protocol.ReasonCSRKeyMismatch, "the CSR's key is not the key this connection presented")
	}
	spec := g.getSpec()
	existing, err := g.deviceByKey(csrKey)
	if err != nil {
		return "", nil, err
	}

	var dev *wasmbedv1.Device
	if req.Token != "" {
		if !allowTokens(spec) {
			return "", nil, refuse(protocol.ReasonEnrollDisabled, "gateway %s does not accept enrolment tokens", g.opts.Name)
		}
		dev, err = g.enrollWithToken(ctx, req, csrKey, existing)
	} else {
		if !allowPreRegistered(spec) {
			return "", nil, refuse(protocol.ReasonEnrollDisabled, "gateway %s does not accept pre-registered keys", g.opts.Name)
		}
		if existing == nil {
			return "", nil, refuse(protocol.ReasonUnknownKey, "no Device has this key and no token was presented: register the key in a Device or provision a token")
		}
		dev = existing
	}
	if err != nil {
		return deviceNameOf(dev), nil, err
	}
	if dev.Spec.Revoked {
		return dev.Name, nil, refuse(refusal.ReasonDeviceRevoked, "Device %s is revoked", dev.Name)
	}
	if ref := dev.Spec.GatewayRef; ref != nil && ref.Name != g.opts.Name {
		return dev.Name, nil, refuse(protocol.ReasonWrongGateway, "Device %s is pinned to gateway %s", dev.Name, ref.Name)
	}
	if dev.Spec.GatewayRef == nil {
		// Pin the device to this gateway, as a Pod is bound to a node.
		patch := []byte(fmt.Sprintf(`{"spec":{"gatewayRef":{"name":%q}}}`, g.opts.Name))
		if err := g.client.Patch(ctx, dev, client.RawPatch(types.MergePatchType, patch)); err != nil {
			return dev.Name, nil, err
		}
	}

	// Decide the certificate now and record it with the Enrolling phase:
	// one status write instead of two, and the controller's approval
	// refers to exactly this certificate.
	serial := pki.NewSerial()
	notBefore := time.Now()
	notAfter := notBefore.Add(certValidity(spec))
	wait := g.waiters.register(dev.Name, serial.Text(16))
	defer g.waiters.unregister(dev.Name, wait)
	if err := g.patchEnrolling(ctx, dev.Name, serial.Text(16), notAfter); err != nil {
		return dev.Name, nil, err
	}
	select {
	case verdict := <-wait.ch:
		if !verdict.approved {
			return dev.Name, nil, refuse(protocol.ReasonEnrollDenied, "%s", verdict.message)
		}
	case <-time.After(g.opts.EnrollTimeout):
		return dev.Name, nil, refuse(protocol.ReasonEnrollTimeout, "no approval within %s (policy %s)", g.opts.EnrollTimeout, spec.Enrollment.Mode)
	case <-ctx.Done():
		return dev.Name, nil, refuse(protocol.ReasonShuttingDown, "gateway is shutting down")
	}
	cert, err := g.ca.Load().IssueDevice(csrKey, dev.Name, serial, notBefore, notAfter.Sub(notBefore))
	if err != nil {
		return dev.Name, nil, err
	}
	return dev.Name, cert.Raw, nil
}

// enrollWithToken validates and consumes the token, then creates or
// re-keys the Device it stands for.
func (g *Gateway) enrollWithToken(ctx context.Context, req *protocol.EnrollRequest, key ed25519.PublicKey, existing *wasmbedv1.Device) (*wasmbedv1.Device, error) {
	tok, err := g.checkToken(ctx, req.Token)
	if err != nil {
		return existing, err
	}
	name := tok.deviceName
	if name == "" {
		name = req.Name
	}
	if name != "" && req.Name != "" && req.Name != name {
		return nil, refuse(protocol.ReasonTokenWrongDevice, "token %s is for device %s, not %s", tok.secret.Name, name, req.Name)
	}
	if existing != nil {
		if name != "" && existing.Name != name {
			return existing, refuse(protocol.ReasonTokenWrongDevice, "this key belongs to Device %s, the token is for %s", existing.Name, name)
		}
		name = existing.Name
	}
	if name == "" {
		sum := sha256.Sum256(key)
		name = "dev-" + hex.EncodeToString(sum[:5])
	}
	if errs := validation.IsDNS1123Subdomain(name); len(errs) > 0 {
		return nil, refuse(protocol.ReasonEnrollDenied, "device name %q is not valid: %v", name, errs)
	}
	if err := g.consume(ctx, tok, name); err != nil {
		return nil, err
	}
	if existing != nil {
		return existing, nil
	}
	dev, err := g.createOrRekey(ctx, name, key, req, tok)
	if err != nil {
		g.release(ctx, tok)
	}
	return dev, err
}

// createOrRekey creates the Device a token enrols, or re-keys the Device
// of that name when the token is bound to it.
func (g *Gateway) createOrRekey(ctx context.Context, name string, key ed25519.PublicKey, req *protocol.EnrollRequest, tok *token) (*wasmbedv1.Device, error) {
	dev := newDeviceFromRequest(g.opts.Namespace, name, key, req, tok.secret.Name, g.opts.Name)
	err := g.client.Create(ctx, dev)
	if apierrors.IsAlreadyExists(err) {
		// The name exists with another key: a factory-reset device coming
		// back with a fresh token bound to its name. The token is the
		// operator's consent to re-key it.
		var cur wasmbedv1.Device
		if err := g.reader.Get(ctx, client.ObjectKey{Namespace: g.opts.Namespace, Name: name}, &cur); err != nil {
			return nil, err
		}
		if tok.deviceName != name {
			return &cur, refuse(protocol.ReasonEnrollDenied, "Device %s exists with another key; a token bound to that name is needed to re-key it", name)
		}
		cur.Spec.PublicKey = dev.Spec.PublicKey
		cur.Spec.Enrollment = dev.Spec.Enrollment
		if err := g.client.Update(ctx, &cur); err != nil {
			return &cur, err
		}
		g.log.Info("device re-keyed with a fresh token", "device", name, "token", tok.secret.Name)
		return &cur, nil
	}
	return dev, err
}

func newDeviceFromRequest(ns, name string, key ed25519.PublicKey, req *protocol.EnrollRequest, tokenSecret, gateway string) *wasmbedv1.Device {
	dev := &wasmbedv1.Device{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: wasmbedv1.DeviceSpec{
			PublicKey:  wasmbedv1.EncodePublicKey(key),
			Arch:       wasmbedv1.Arch(req.Info.Arch),
			Profile:    req.Info.Profile,
			GatewayRef: &wasmbedv1.LocalObjectReference{Name: gateway},
			Enrollment: wasmbedv1.DeviceEnrollment{
				Method:         wasmbedv1.EnrollByToken,
				TokenSecretRef: &wasmbedv1.LocalObjectReference{Name: tokenSecret},
			},
		},
	}
	if req.Info.MemoryBytes > 0 {
		q := resource.NewQuantity(int64(req.Info.MemoryBytes), resource.BinarySI)
		dev.Spec.Capabilities.Memory = q
	}
	for _, f := range req.Info.WasmFeatures {
		dev.Spec.Capabilities.WasmFeatures = append(dev.Spec.Capabilities.WasmFeatures, wasmbedv1.WasmFeature(f))
	}
	return dev
}

// patchEnrolling moves the Device to Enrolling with the certificate to be
// issued.
func (g *Gateway) patchEnrolling(ctx context.Context, name, serial string, notAfter time.Time) error {
	return g.patchDeviceStatus(ctx, name, "enrolling", map[string]any{
		"phase":       wasmbedv1.DeviceEnrolling,
		"gateway":     g.opts.Name,
		"certificate": g.certificateStatus(serial, notAfter),
	})
}

// patchCertificate records a renewed certificate.
func (g *Gateway) patchCertificate(ctx context.Context, name, serial string, notAfter time.Time) error {
	return g.patchDeviceStatus(ctx, name, "certificate", map[string]any{"certificate": g.certificateStatus(serial, notAfter)})
}

func (g *Gateway) certificateStatus(serial string, notAfter time.Time) wasmbedv1.CertificateStatus {
	return wasmbedv1.CertificateStatus{
		SerialNumber: serial,
		NotAfter:     metav1.NewTime(notAfter),
		IssuerKeyID:  hex.EncodeToString(g.ca.Load().Cert.SubjectKeyId),
	}
}

func (g *Gateway) patchDeviceStatus(ctx context.Context, name, kind string, status map[string]any) error {
	body, _ := json.Marshal(map[string]any{"status": status})
	dev := &wasmbedv1.Device{}
	dev.Namespace, dev.Name = g.opts.Namespace, name
	err := g.client.Status().Patch(ctx, dev, client.RawPatch(types.MergePatchType, body))
	if err != nil {
		return fmt.Errorf("write status of %s: %w", name, err)
	}
	g.metrics.statusWrites.WithLabelValues(kind).Inc()
	return nil
}

func deviceNameOf(d *wasmbedv1.Device) string {
	if d == nil {
		return ""
	}
	return d.Name
}
