package agent

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/wasmbed/wasmbed/sut/protocol"
	"github.com/wasmbed/wasmbed/sut/refusal"
)

// AppRuntime runs deployed modules. firmware/apps implements it.
type AppRuntime interface {
	// Install validates and persists the module and starts the app,
	// replacing any previous version.
	Install(ctx context.Context, d *protocol.Deploy, module []byte) error
	// Remove stops the app and deletes it from flash.
	Remove(ctx context.Context, name string) error
	// Deliver hands a pub/sub message to subscribed apps.
	Deliver(topic string, data []byte)
	// Statuses reports every installed app.
	Statuses() []protocol.AppStatus
}

// upload collects the chunks of a module being deployed.
type upload struct {
	deploy *protocol.Deploy
	data   []byte
	next   uint32
}

// handleApps processes deploy, stop and pub/sub messages.
func (a *Agent) handleApps(ctx context.Context, sc *sessionConn, env protocol.Envelope, m protocol.Message) error {
	switch m := m.(type) {
	case *protocol.Deploy:
		if a.apps == nil {
			return a.deployDone(sc, m, "NoRuntime", "this device has no app runtime")
		}
		if m.Size > uint32(a.cfg.Profile.MemoryBytes) && a.cfg.Profile.MemoryBytes > 0 {
			return a.deployDone(sc, m, "TooLarge", fmt.Sprintf("module of %d bytes exceeds the device's %d bytes", m.Size, a.cfg.Profile.MemoryBytes))
		}
		a.uploadsMu.Lock()
		a.uploads[m.App] = &upload{deploy: m, data: make([]byte, 0, m.Size)}
		a.uploadsMu.Unlock()
		if m.Chunks == 0 {
			return a.finishUpload(ctx, sc, m.App)
		}
	case *protocol.ModuleChunk:
		a.uploadsMu.Lock()
		u := a.uploads[m.App]
		a.uploadsMu.Unlock()
		if u == nil || u.deploy.Digest != m.Digest || m.Index != u.next {
			a.log.Warn("dropping out-of-order module chunk", "app", m.App, "index", m.Index)
			return nil
		}
		if uint64(len(u.data))+uint64(len(m.Data)) > uint64(u.deploy.Size) {
			a.uploadsMu.Lock()
			delete(a.uploads, m.App)
			a.uploadsMu.Unlock()
			return a.deployDone(sc, u.deploy, "InvalidModule", "chunks exceed the announced size")
		}
		u.data = append(u.data, m.Data...)
		u.next++
		if u.next == u.deploy.Chunks {
			return a.finishUpload(ctx, sc, m.App)
		}
	case *protocol.Stop:
		ok, msg := true, ""
		if a.apps != nil {
			if err := a.apps.Remove(ctx, m.App); err != nil {
				ok, msg = false, err.Error()
			}
		}
		a.log.Info("app stopped", "app", m.App, "ok", ok)
		a.emit(Event{Kind: EventStopped, App: m.App, Message: msg})
		return sc.pc.Send(env.ID, &protocol.StopResult{App: m.App, OK: ok, Message: msg})
	case *protocol.AppDeliver:
		if a.apps != nil {
			a.apps.Deliver(m.Topic, m.Data)
		}
	case *protocol.VehicleCommandResult:
		a.vehicleResult(env.ID, m)
	}
	return nil
}

func (a *Agent) finishUpload(ctx context.Context, sc *sessionConn, app string) error {
	a.uploadsMu.Lock()
	u := a.uploads[app]
	delete(a.uploads, app)
	a.uploadsMu.Unlock()
	d := u.deploy
	if uint32(len(u.data)) != d.Size {
		return a.deployDone(sc, d, "InvalidModule", fmt.Sprintf("received %d of %d bytes", len(u.data), d.Size))
	}
	sum := sha256.Sum256(u.data)
	if hex.EncodeToString(sum[:]) != d.Digest {
		return a.deployDone(sc, d, "DigestMismatch", "module content does not match its sha256 digest")
	}
	if reason, msg := a.checkSignature(d, sum[:]); reason != "" {
		return a.deployDone(sc, d, reason, msg)
	}
	if err := a.apps.Install(ctx, d, u.data); err != nil {
		return a.deployDone(sc, d, reasonOfInstall(err), err.Error())
	}
	return a.deployDone(sc, d, "", "")
}

// deployDone reports a deploy's outcome; reason empty means success.
func (a *Agent) deployDone(sc *sessionConn, d *protocol.Deploy, reason refusal.Reason, msg string) error {
	if reason == "" {
		a.log.Info("app deployed", "app", d.App, "digest", short(d.Digest))
		a.emit(Event{Kind: EventDeployed, App: d.App})
	} else {
		a.log.Warn("deploy failed", "app", d.App, "reason", reason, "message", msg)
		a.emit(Event{Kind: EventDeployFailed, App: d.App, Reason: reason, Message: msg})
	}
	return sc.pc.Send(sc.pc.NewID(), &protocol.DeployResult{App: d.App, Digest: d.Digest, OK: reason == "", Reason: reason, Message: msg})
}

// InstallError is a refused install with a stable reason code (Timeout,
// MemoryLimit, InvalidModule, ...), as the runtime classifies it.
type InstallError struct {
	Reason refusal.Reason
	Err    error
}

func (e *InstallError) Error() string { return e.Err.Error() }
func (e *InstallError) Unwrap() error { return e.Err }

// reasonOfInstall extracts a stable reason from a runtime error.
func reasonOfInstall(err error) refusal.Reason {
	var ie *InstallError
	if errors.As(err, &ie) && ie.Reason != "" {
		return ie.Reason
	}
	return "InstallFailed"
}

func short(d string) string {
	if len(d) > 12 {
		return d[:12]
	}
	return d
}
