package gateway

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"strings"
	"time"

	"github.com/wasmbed/wasmbed/sut/protocol"
	"github.com/wasmbed/wasmbed/sut/refusal"
)

// serve accepts connections until ln closes. The connection cap bounds the
// damage of a slowloris: past it, connections are closed at once. A source
// that exhausted its enrolment rate limit has its connections closed at
// once too, until its allowance refills: refusing a flood costs an accept
// rather than a TLS handshake.
func (g *Gateway) serve(ctx context.Context, ln net.Listener) error {
	slots := make(chan struct{}, g.opts.MaxConnections)
	var delay time.Duration
	for {
		c, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return nil
			}
			// Out of file descriptors and the like: back off, as net/http does.
			delay = min(max(2*delay, 5*time.Millisecond), time.Second)
			g.log.Warn("accept failed", "err", err, "retry_in", delay)
			time.Sleep(delay)
			continue
		}
		delay = 0
		if source := c.RemoteAddr().String(); g.limiter.exhausted(source) {
			g.metrics.refuse(refusal.StageConnection, protocol.ReasonRateLimited)
			g.log.Info("connection refused", "reason", protocol.ReasonRateLimited, "source", source)
			c.Close()
			continue
		}
		select {
		case slots <- struct{}{}:
		default:
			g.metrics.refuse(refusal.StageConnection, refusal.ReasonConnectionLimit)
			g.log.Warn("connection refused", "reason", refusal.ReasonConnectionLimit, "source", c.RemoteAddr().String(), "limit", g.opts.MaxConnections)
			c.Close()
			continue
		}
		g.sessions.Add(1)
		go func() {
			defer g.sessions.Done()
			defer func() { <-slots }()
			g.handleConn(ctx, c)
		}()
	}
}

// handleConn runs the TLS handshake under a deadline, then hands the
// connection to enrolment or a session according to the client certificate.
func (g *Gateway) handleConn(ctx context.Context, c net.Conn) {
	g.metrics.openConns.Inc()
	defer g.metrics.openConns.Dec()
	defer c.Close()
	source := c.RemoteAddr().String()

	var p *peer
	var idErr error
	tc := tls.Server(c, &tls.Config{
		MinVersion: tls.VersionTLS13,
		ClientAuth: tls.RequireAnyClientCert, // chains are checked in identify
		GetCertificate: func(*tls.ClientHelloInfo) (*tls.Certificate, error) {
			return g.serving.Load(), nil
		},
		VerifyConnection: func(cs tls.ConnectionState) error {
			p, idErr = g.identify(cs.PeerCertificates)
			return idErr
		},
		SessionTicketsDisabled: true, // resumption would skip identify
	})
	_ = c.SetDeadline(time.Now().Add(g.opts.HandshakeTimeout))
	hctx, cancel := context.WithTimeout(ctx, g.opts.HandshakeTimeout)
	err := tc.HandshakeContext(hctx)
	cancel()
	if err != nil {
		reason := classifyHandshake(err, idErr)
		g.metrics.handshakeFailures.WithLabelValues(string(reason)).Inc()
		g.metrics.refuse(refusal.StageHandshake, reason)
		g.log.Info("handshake refused", "reason", reason, "source", source, "err", err)
		return
	}
	_ = c.SetDeadline(time.Time{})
	idle := protocol.NewIdleConn(tc)
	conn := protocol.NewConn(idle, 0)
	switch p.kind {
	case peerBootstrap:
		g.handleEnrollment(ctx, conn, p, source)
	case peerDevice:
		g.runSession(ctx, conn, idle, p, source)
	}
}

// classifyHandshake maps a failed handshake to a reason code. Go's TLS
// errors are not typed, so the library's messages are matched; our own
// refusals carry their code.
func classifyHandshake(err, idErr error) refusal.Reason {
	if idErr != nil {
		return reasonOf(idErr, refusal.ReasonHandshakeOther)
	}
	if isTimeout(err) {
		return refusal.ReasonHandshakeTimeout
	}
	var rh tls.RecordHeaderError
	if errors.As(err, &rh) {
		return refusal.ReasonNotTLS
	}
	msg := err.Error()
	switch {
	case strings.Contains(msg, "unsupported versions"), strings.Contains(msg, "protocol version"):
		return refusal.ReasonTLSVersion
	case strings.Contains(msg, "no cipher suite"):
		return refusal.ReasonNoCipherSuite
	case strings.Contains(msg, "didn't provide a certificate"):
		return refusal.ReasonNoClientCert
	case strings.Contains(msg, "invalid signature by the client certificate"):
		return refusal.ReasonBadSignature
	}
	return refusal.ReasonHandshakeOther
}

// isTimeout reports whether err is a deadline passing.
func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout() || errors.Is(err, context.DeadlineExceeded)
}

// sendError tells the peer why it is being refused. Best effort: the peer
// may already be gone.
func sendError(conn *protocol.Conn, id uint64, code refusal.Reason, msg string) {
	_ = conn.Raw().SetWriteDeadline(time.Now().Add(2 * time.Second))
	_ = conn.Send(id, &protocol.Error{Code: code, Message: msg, Fatal: true})
}

// frameError counts and answers a bad frame.
func (g *Gateway) frameError(conn *protocol.Conn, err error, source, device string) {
	var de *protocol.DecodeError
	if !errors.As(err, &de) {
		return
	}
	g.metrics.frameErrors.WithLabelValues(string(de.Reason)).Inc()
	g.metrics.refuse(refusal.StageFrame, de.Reason)
	g.log.Info("frame refused", "reason", de.Reason, "source", source, "device", device, "err", de.Err)
	sendError(conn, 0, de.Reason, de.Err.Error())
}
