package gateway

import (
	"context"
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	wasmbedv1 "github.com/wasmbed/wasmbed/sut/api/v1alpha1"
	"github.com/wasmbed/wasmbed/sut/protocol"
	"github.com/wasmbed/wasmbed/sut/refusal"
)

// session is one device's mutual-TLS connection.
type session struct {
	g      *Gateway
	device string
	gen    uint64
	conn   *protocol.Conn
	peer   *peer
	source string
	start  time.Time

	closeOnce sync.Once
	done      chan struct{}
	quiet     atomic.Bool // closed by shutdown: leave status alone

	mu   sync.Mutex
	apps []protocol.AppStatus // as last reported
}

// close ends the session. quiet means the gateway is shutting down and the
// device will reconnect to its successor, so it is not marked Disconnected.
func (s *session) close(quiet bool) {
	if quiet {
		s.quiet.Store(true)
	}
	s.closeOnce.Do(func() {
		close(s.done)
		s.conn.Close()
	})
}

func (s *session) reportedApps() []protocol.AppStatus {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.apps)
}

func (s *session) setApps(apps []protocol.AppStatus) (changed bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if slices.Equal(s.apps, apps) {
		return false
	}
	s.countFailures(apps)
	s.apps = slices.Clone(apps)
	return true
}

// countFailures counts, in the audit counter, each app failure the device
// reports for the first time: a new Failed or Backoff state, or a new
// restart. The reason is the device runtime's (Trap, Timeout, ...).
func (s *session) countFailures(apps []protocol.AppStatus) {
	for _, a := range apps {
		if a.Reason == "" || (a.State != "Failed" && a.State != "Backoff") {
			continue
		}
		i := slices.IndexFunc(s.apps, func(o protocol.AppStatus) bool { return o.Name == a.Name })
		if i >= 0 && s.apps[i].State == a.State && s.apps[i].Restarts == a.Restarts && s.apps[i].Digest == a.Digest {
			continue
		}
		s.g.metrics.refuse(refusal.StageApp, a.Reason)
	}
}

// negotiate picks the highest version both sides speak.
func negotiate(offered []uint) (uint, bool) {
	var best uint
	for _, v := range offered {
		if slices.Contains(protocol.SupportedVersions, v) && v > best {
			best = v
		}
	}
	return best, best != 0
}

// runSession serves a device from Hello until the link ends.
func (g *Gateway) runSession(ctx context.Context, conn *protocol.Conn, idle *protocol.IdleConn, p *peer, source string) {
	log := g.log.With("device", p.device.Name, "source", source)
	_ = conn.Raw().SetReadDeadline(time.Now().Add(g.opts.HandshakeTimeout))
	env, m, err := conn.Recv()
	if err != nil {
		if isTimeout(err) {
			// A device that opens a session and says nothing holds a slot:
			// refused and counted, not dropped silently.
			g.metrics.refuse(refusal.StageSession, refusal.ReasonFirstMessageTimeout)
			log.Info("session refused", "reason", refusal.ReasonFirstMessageTimeout, "waited", g.opts.HandshakeTimeout)
			sendError(conn, 0, refusal.ReasonFirstMessageTimeout, "no Hello within the handshake timeout")
			return
		}
		g.frameError(conn, err, source, p.device.Name)
		return
	}
	hello, ok := m.(*protocol.Hello)
	if !ok {
		g.metrics.refuse(refusal.StageSession, protocol.ReasonUnexpectedMessage)
		log.Info("session refused", "reason", protocol.ReasonUnexpectedMessage, "got", m.Type().String())
		sendError(conn, env.ID, protocol.ReasonUnexpectedMessage, "the first message of a session must be Hello, got "+m.Type().String())
		return
	}
	version, ok := negotiate(hello.Versions)
	if !ok {
		g.metrics.refuse(refusal.StageSession, protocol.ReasonUnsupportedVersion)
		log.Info("session refused", "reason", protocol.ReasonUnsupportedVersion, "offered", hello.Versions)
		sendError(conn, env.ID, protocol.ReasonUnsupportedVersion, "no common protocol version")
		return
	}
	dev, err := g.admit(ctx, p)
	if err != nil {
		reason, msg := reasonOf(err, protocol.ReasonInternalError), err.Error()
		var r *refusedError
		if errors.As(err, &r) {
			msg = r.msg
		}
		g.metrics.refuse(refusal.StageSession, reason)
		log.Info("session refused", "reason", reason, "message", msg)
		sendError(conn, env.ID, reason, msg)
		return
	}

	s := &session{g: g, device: dev.Name, conn: conn, peer: p, source: source, start: time.Now(), done: make(chan struct{})}
	s.setApps(hello.Apps)
	if old := g.reg.add(s); old != nil {
		log.Info("new session replaces the previous one", "old_source", old.source)
		old.close(false)
	}
	g.metrics.connected.Set(float64(g.reg.count()))
	spec := g.getSpec()
	interval, timeout := heartbeatInterval(spec), heartbeatTimeout(spec)
	g.status.connected(s, hello.Info, hello.Health)
	ca := g.ca.Load()
	if err := conn.Send(env.ID, &protocol.HelloAck{
		Version:              version,
		DeviceName:           dev.Name,
		HeartbeatIntervalMs:  uint64(interval.Milliseconds()),
		HeartbeatTimeoutMs:   uint64(timeout.Milliseconds()),
		RenewCertificate:     !ca.IssuedByCurrent(p.cert),
		ServerTimeUnixMillis: time.Now().UnixMilli(),
	}); err != nil {
		g.endSession(s, log, err)
		return
	}
	log.Info("device connected", "generation", s.gen)
	g.apps.sessionStarted(s)
	g.vehicles.SessionStarted(s.device)

	// The idle read deadline is the heartbeat monitor: a half-open link
	// that never sends FIN is noticed one timeout after its last byte.
	_ = conn.Raw().SetReadDeadline(time.Time{})
	idle.SetIdleTimeout(timeout)
	var endErr error
	for {
		env, m, err := conn.Recv()
		if err != nil {
			g.frameError(conn, err, source, s.device)
			endErr = err
			break
		}
		if err := g.handleMessage(ctx, s, env, m); err != nil {
			endErr = err
			break
		}
	}
	g.endSession(s, log, endErr)
}

// endSession unregisters s and records the disconnect, unless a newer
// session took over or the gateway is shutting down.
func (g *Gateway) endSession(s *session, log interface {
	Info(string, ...any)
}, err error) {
	s.close(false)
	current := g.reg.remove(s)
	g.metrics.connected.Set(float64(g.reg.count()))
	g.apps.sessionEnded(s)
	switch {
	case !current:
		log.Info("old session ended after being replaced", "generation", s.gen)
	case s.quiet.Load():
		log.Info("session closed for gateway shutdown", "generation", s.gen)
	default:
		log.Info("device disconnected", "generation", s.gen, "err", err)
		g.status.disconnected(s)
		g.vehicles.DeviceDisconnected(s.device)
	}
}

// handleMessage dispatches one message of a live session. A non-nil error
// ends the session.
func (g *Gateway) handleMessage(ctx context.Context, s *session, env protocol.Envelope, m protocol.Message) error {
	switch m := m.(type) {
	case *protocol.Heartbeat:
		start := time.Now()
		g.metrics.heartbeats.Inc()
		appsChanged := s.setApps(m.Apps)
		if err := s.conn.Send(env.ID, &protocol.HeartbeatAck{Seq: m.Seq}); err != nil {
			return err
		}
		g.metrics.heartbeatAck.Observe(time.Since(start).Seconds())
		g.status.heartbeat(s, m.Health, appsChanged)
		if appsChanged {
			g.apps.reported(s)
		}
	case *protocol.AppStatusReport:
		if s.setApps(m.Apps) {
			g.status.appsChanged(s)
			g.apps.reported(s)
		}
	case *protocol.DeployResult:
		g.apps.deployResult(s, m)
	case *protocol.StopResult:
		g.apps.stopResult(s, m)
	case *protocol.AppPublish:
		if g.vehicles.PublishAllowed(s.device, m) {
			g.apps.published(s, m)
		}
	case *protocol.RenewRequest:
		resp := g.renew(ctx, s, m)
		return s.conn.Send(env.ID, resp)
	case *protocol.VehicleCommand:
		go func() {
			res := g.vehicles.Command(ctx, s.device, m)
			_ = s.conn.Send(env.ID, res)
		}()
	case *protocol.Error:
		g.log.Info("device reported an error", "device", s.device, "code", m.Code, "message", m.Message)
	default:
		g.metrics.refuse(refusal.StageSession, protocol.ReasonUnexpectedMessage)
		g.log.Info("message refused", "reason", protocol.ReasonUnexpectedMessage, "device", s.device, "type", m.Type().String())
		sendError(s.conn, env.ID, protocol.ReasonUnexpectedMessage, m.Type().String()+" is not valid in a session")
		return refuse(protocol.ReasonUnexpectedMessage, "%s in a session", m.Type())
	}
	return nil
}

// admit decides whether an identified device may open a session now.
func (g *Gateway) admit(ctx context.Context, p *peer) (*wasmbedv1.Device, error) {
	dev, err := g.deviceByKey(p.key)
	if err != nil {
		return nil, err
	}
	if dev == nil {
		return nil, refuse(refusal.ReasonUnknownDevice, "the Device for this key was deleted")
	}
	if dev.Spec.Revoked {
		return nil, refuse(refusal.ReasonDeviceRevoked, "Device %s is revoked", dev.Name)
	}
	if ref := dev.Spec.GatewayRef; ref != nil && ref.Name != g.opts.Name {
		return nil, refuse(protocol.ReasonWrongGateway, "Device %s is pinned to gateway %s", dev.Name, ref.Name)
	}
	if c := dev.Status.Certificate; c == nil || c.SerialNumber != p.cert.SerialNumber.Text(16) {
		// The cache may lag our own write at enrolment; ask the API server
		// before refusing.
		var fresh wasmbedv1.Device
		if err := g.reader.Get(ctx, clientKey(dev), &fresh); err != nil {
			return nil, err
		}
		if c := fresh.Status.Certificate; c == nil || c.SerialNumber != p.cert.SerialNumber.Text(16) {
			return nil, refuse(refusal.ReasonSupersededCert, "certificate serial %x is not the one last issued to Device %s; re-enrol", p.cert.SerialNumber, dev.Name)
		}
		dev = &fresh
	}
	switch dev.Status.Phase {
	case wasmbedv1.DevicePending, wasmbedv1.DeviceEnrolling, "":
		return nil, refuse(protocol.ReasonNotEnrolled, "Device %s is %s, not enrolled", dev.Name, dev.Status.Phase)
	}
	if cap := g.getSpec().Capacity; cap > 0 && g.reg.current(dev.Name) == nil && g.reg.count() >= int(cap) {
		return nil, refuse(protocol.ReasonGatewayFull, "gateway %s serves its capacity of %d devices", g.opts.Name, cap)
	}
	return dev, nil
}
