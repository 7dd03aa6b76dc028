package agent

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/wasmbed/wasmbed/sut/protocol"
)

// sessionConn is the live session, shared with app callbacks that report
// state changes between heartbeats.
type sessionConn struct {
	pc *protocol.Conn

	mu      sync.Mutex
	pending map[uint64]time.Time // heartbeat seq → sent
}

// session holds one mutual-TLS session until it ends. healthy reports
// whether it got as far as a HelloAck, which resets the backoff.
func (a *Agent) session(ctx context.Context) (healthy bool, err error) {
	conn, err := a.dialTLS(ctx, a.id.sessionCert())
	if err != nil {
		return false, err
	}
	defer conn.Close()
	idle := protocol.NewIdleConn(conn)
	pc := protocol.NewConn(idle, 0)
	var apps []protocol.AppStatus
	if a.apps != nil {
		apps = a.apps.Statuses()
	}
	if err := pc.Send(pc.NewID(), &protocol.Hello{Versions: protocol.SupportedVersions, Info: a.info(), Apps: apps, Health: a.health()}); err != nil {
		return false, err
	}
	_ = conn.SetReadDeadline(time.Now().Add(a.cfg.HandshakeTimeout))
	_, m, err := pc.Recv()
	if err != nil {
		return false, a.classifyReadErr(err)
	}
	var ack *protocol.HelloAck
	switch m := m.(type) {
	case *protocol.HelloAck:
		ack = m
	case *protocol.Error:
		a.log.Warn("session refused", "reason", m.Code, "message", m.Message)
		a.emit(Event{Kind: EventSessionRefused, Reason: m.Code, Message: m.Message})
		return false, &Refusal{Reason: m.Code, Message: m.Message}
	default:
		return false, fmt.Errorf("unexpected %s in answer to Hello", m.Type())
	}
	a.name.Store(ack.DeviceName)
	interval := time.Duration(ack.HeartbeatIntervalMs) * time.Millisecond
	timeout := time.Duration(ack.HeartbeatTimeoutMs) * time.Millisecond
	if interval <= 0 || timeout <= interval {
		return false, fmt.Errorf("gateway sent unusable heartbeat settings %s/%s", interval, timeout)
	}
	// From here on the gateway acks every heartbeat: silence for a whole
	// timeout means the link is dead even if TCP has not noticed, while a
	// slow link still delivering bytes is alive.
	_ = conn.SetReadDeadline(time.Time{})
	idle.SetIdleTimeout(timeout)
	sc := &sessionConn{pc: pc, pending: map[uint64]time.Time{}}
	a.setSession(sc)
	defer a.setSession(nil)
	a.state.Store("connected")
	a.log.Info("connected", "name", ack.DeviceName, "heartbeat", interval, "version", ack.Version)
	a.emit(Event{Kind: EventConnected})
	defer a.emit(Event{Kind: EventDisconnected})

	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if ack.RenewCertificate {
		go a.requestRenewal(sc)
	}
	hbErr := make(chan error, 1)
	go func() { hbErr <- a.heartbeat(sctx, sc, interval) }()
	go func() {
		<-sctx.Done()
		conn.Close() // unblocks Recv
	}()

	for {
		env, m, err := pc.Recv()
		if err != nil {
			select {
			case herr := <-hbErr:
				if herr != nil {
					err = herr
				}
			default:
			}
			if ctx.Err() != nil {
				return true, nil
			}
			err = a.classifyReadErr(err)
			a.log.Info("disconnected", "err", err)
			return true, err
		}
		if err := a.handle(sctx, sc, env, m); err != nil {
			a.log.Info("disconnected", "err", err)
			return true, err
		}
	}
}

func (a *Agent) setSession(sc *sessionConn) {
	a.sessMu.Lock()
	a.sess = sc
	a.sessMu.Unlock()
}

func (a *Agent) currentSession() *sessionConn {
	a.sessMu.Lock()
	defer a.sessMu.Unlock()
	return a.sess
}

// heartbeat sends a heartbeat every interval until ctx ends or a write
// fails.
func (a *Agent) heartbeat(ctx context.Context, sc *sessionConn, interval time.Duration) error {
	t := time.NewTicker(interval)
	defer t.Stop()
	var seq uint64
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		seq++
		var apps []protocol.AppStatus
		if a.apps != nil {
			apps = a.apps.Statuses()
		}
		sc.mu.Lock()
		sc.pending[seq] = time.Now()
		for s := range sc.pending {
			if s+16 < seq {
				delete(sc.pending, s) // never acked; keep the map bounded
			}
		}
		sc.mu.Unlock()
		_ = sc.pc.Raw().SetWriteDeadline(time.Now().Add(interval))
		if err := sc.pc.Send(sc.pc.NewID(), &protocol.Heartbeat{Seq: seq, Health: a.health(), Apps: apps}); err != nil {
			return fmt.Errorf("send heartbeat: %w", err)
		}
	}
}

// handle processes one message from the gateway.
func (a *Agent) handle(ctx context.Context, sc *sessionConn, env protocol.Envelope, m protocol.Message) error {
	switch m := m.(type) {
	case *protocol.HeartbeatAck:
		sc.mu.Lock()
		sent, ok := sc.pending[m.Seq]
		delete(sc.pending, m.Seq)
		sc.mu.Unlock()
		if ok {
			a.emit(Event{Kind: EventHeartbeatAcked, Seq: m.Seq, Latency: time.Since(sent)})
		}
	case *protocol.Error:
		a.log.Warn("gateway error", "reason", m.Code, "message", m.Message)
		if m.Fatal {
			return &Refusal{Reason: m.Code, Message: m.Message}
		}
	case *protocol.RenewResponse:
		if !m.OK {
			a.log.Warn("certificate renewal refused", "reason", m.Reason)
			return nil
		}
		if err := a.id.save(a.cfg.Store, m.Certificate, m.CABundle); err != nil {
			a.log.Warn("storing renewed certificate failed", "err", err)
			return nil
		}
		a.log.Info("certificate renewed")
		a.emit(Event{Kind: EventRenewed})
	case *protocol.Deploy, *protocol.ModuleChunk, *protocol.Stop, *protocol.AppDeliver, *protocol.VehicleCommandResult:
		return a.handleApps(ctx, sc, env, m)
	default:
		a.log.Warn("ignoring unexpected message", "type", m.Type().String())
	}
	return nil
}

func (a *Agent) requestRenewal(sc *sessionConn) {
	csr, err := a.id.csr(a.Name())
	if err != nil {
		return
	}
	_ = sc.pc.Send(sc.pc.NewID(), &protocol.RenewRequest{CSR: csr})
}

// classifyReadErr turns a TLS alert (the gateway refused the certificate
// after the client's half of a TLS 1.3 handshake) into a Refusal.
func (a *Agent) classifyReadErr(err error) error {
	if isRemoteAlert(err) {
		a.emit(Event{Kind: EventSessionRefused, Reason: "handshake_refused", Message: err.Error()})
		return &Refusal{Reason: "handshake_refused", Message: err.Error()}
	}
	var de *protocol.DecodeError
	if errors.As(err, &de) {
		return fmt.Errorf("gateway sent a bad frame: %w", err)
	}
	return err
}

// isRemoteAlert reports whether err is a TLS alert from the gateway. In TLS
// 1.3 the server checks the client certificate after the client finished
// its handshake, so a refusal arrives as an alert on the first read.
func isRemoteAlert(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "remote error"
}
