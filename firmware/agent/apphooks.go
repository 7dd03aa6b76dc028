package agent

import (
	"context"
	"crypto/ed25519"
	"sync"
	"time"

	"github.com/wasmbed/wasmbed/sut/abi"
	"github.com/wasmbed/wasmbed/sut/protocol"
	"github.com/wasmbed/wasmbed/sut/refusal"
)

// Hooks are how apps reach the agent: the runtime calls them when an app
// changes state, publishes, or commands its vehicle.
type Hooks struct {
	ReportApps     func(apps []protocol.AppStatus)
	Publish        func(app, topic string, data []byte)
	VehicleCommand func(ctx context.Context, app string, cmd protocol.VehicleCommand) protocol.VehicleCommandResult
}

func (a *Agent) hooks() Hooks {
	return Hooks{ReportApps: a.ReportApps, Publish: a.Publish, VehicleCommand: a.VehicleCommand}
}

// ReportApps pushes the current app states to the gateway between
// heartbeats, so a state change shows in the Device status at once.
func (a *Agent) ReportApps(apps []protocol.AppStatus) {
	sc := a.currentSession()
	if sc == nil {
		return // the next Hello carries them
	}
	_ = sc.pc.Send(sc.pc.NewID(), &protocol.AppStatusReport{Apps: apps})
}

// Publish forwards a message an app published to the gateway.
func (a *Agent) Publish(app, topic string, data []byte) {
	a.emit(Event{Kind: EventPublished, App: app, Message: topic})
	sc := a.currentSession()
	if sc == nil {
		return
	}
	_ = sc.pc.Send(sc.pc.NewID(), &protocol.AppPublish{App: app, Topic: topic, Data: data})
}

// vehicleCalls tracks vehicle commands awaiting the gateway's answer.
type vehicleCalls struct {
	mu      sync.Mutex
	waiting map[uint64]chan *protocol.VehicleCommandResult
}

// VehicleCommand sends an app's command to the vehicle through the gateway
// and waits for the result.
func (a *Agent) VehicleCommand(ctx context.Context, app string, cmd protocol.VehicleCommand) protocol.VehicleCommandResult {
	sc := a.currentSession()
	if sc == nil {
		return protocol.VehicleCommandResult{Result: "not_connected", Message: "the device has no session with its gateway"}
	}
	cmd.App = app
	id := sc.pc.NewID()
	ch := make(chan *protocol.VehicleCommandResult, 1)
	a.vehicle.mu.Lock()
	if a.vehicle.waiting == nil {
		a.vehicle.waiting = map[uint64]chan *protocol.VehicleCommandResult{}
	}
	a.vehicle.waiting[id] = ch
	a.vehicle.mu.Unlock()
	defer func() {
		a.vehicle.mu.Lock()
		delete(a.vehicle.waiting, id)
		a.vehicle.mu.Unlock()
	}()
	if err := sc.pc.Send(id, &cmd); err != nil {
		return protocol.VehicleCommandResult{Result: "not_connected", Message: err.Error()}
	}
	select {
	case r := <-ch:
		return *r
	case <-ctx.Done():
		return protocol.VehicleCommandResult{Result: "timeout", Message: "no answer from the gateway"}
	case <-time.After(30 * time.Second):
		return protocol.VehicleCommandResult{Result: "timeout", Message: "no answer from the gateway within 30s"}
	}
}

func (a *Agent) vehicleResult(id uint64, r *protocol.VehicleCommandResult) {
	a.vehicle.mu.Lock()
	ch := a.vehicle.waiting[id]
	a.vehicle.mu.Unlock()
	if ch != nil {
		ch <- r
	}
}

// checkSignature enforces signed modules: when the deploy or the profile
// requires it, the module digest must carry a valid Ed25519 signature by a
// trusted key. It returns a reason code and message on refusal.
func (a *Agent) checkSignature(d *protocol.Deploy, digest []byte) (refusal.Reason, string) {
	required := d.RequireSigned || a.cfg.Profile.RequireSignedModules
	if !required {
		return "", ""
	}
	if len(d.Signature) == 0 {
		return abi.ReasonSignatureMissing, "this device requires signed modules and the module carries no signature"
	}
	for _, k := range d.TrustedKeys {
		pub, err := protocol.DecodePublicKey(k)
		if err != nil {
			continue
		}
		if ed25519.Verify(pub, digest, d.Signature) {
			return "", ""
		}
	}
	if len(d.TrustedKeys) == 0 {
		return abi.ReasonSignatureInvalid, "no trusted signing keys are configured for this device"
	}
	return abi.ReasonSignatureInvalid, "the module signature does not verify against any trusted key"
}
