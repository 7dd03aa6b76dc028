package vehiclebridge

import (
	"strings"
	"sync"

	"github.com/wasmbed/wasmbed/sut/abi"
	"github.com/wasmbed/wasmbed/sut/protocol"
)

// Vehicle command outcomes in app status. The gateway is the one party
// that sees both an app's command and the autopilot's answer (its
// COMMAND_ACK and the STATUSTEXT explaining a refusal), so when an app's
// command is not accepted it records that on the app's entry in the Device
// status (reason abi.ReasonVehicleCommandRejected, lastError
// "<command> <result>: <text>"), and the controller carries it into the
// Application's status.devices[]. A device-reported failure of the app is
// never overwritten. A later accepted command of the same app clears it.

// appNotes remembers, per device and app, the last command that was not
// accepted.
type appNotes struct {
	mu sync.Mutex
	m  map[string]map[string]string // device → app → message
}

func newAppNotes() *appNotes { return &appNotes{m: map[string]map[string]string{}} }

func (n *appNotes) set(device, app, msg string) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	apps := n.m[device]
	if apps == nil {
		apps = map[string]string{}
		n.m[device] = apps
	}
	if apps[app] == msg {
		return false
	}
	apps[app] = msg
	return true
}

func (n *appNotes) clear(device, app string) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	if _, ok := n.m[device][app]; !ok {
		return false
	}
	delete(n.m[device], app)
	return true
}

func (n *appNotes) forgetDevice(device string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	delete(n.m, device)
}

func (n *appNotes) get(device, app string) (string, bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	msg, ok := n.m[device][app]
	return msg, ok
}

// note records a command that was not accepted and has the Device status
// rewritten.
func (b *Bridge) note(device string, cmd *protocol.VehicleCommand, result, message string) {
	msg := metricCommand(cmd.Command) + " " + result
	if message != "" {
		msg += ": " + message
	}
	if b.notes.set(device, cmd.App, strings.ToValidUTF8(msg, "?")) {
		b.opts.Status.AppsChanged(device)
	}
}

// unnote clears the app's note after an accepted command.
func (b *Bridge) unnote(device string, cmd *protocol.VehicleCommand) {
	if b.notes.clear(device, cmd.App) {
		b.opts.Status.AppsChanged(device)
	}
}

// Annotate adds the bridge's notes to the app statuses the gateway writes
// for device.
func (b *Bridge) Annotate(device string, apps []protocol.AppStatus) []protocol.AppStatus {
	if b == nil {
		return apps
	}
	for i := range apps {
		if apps[i].Reason != "" {
			continue // the device's own account of a failure comes first
		}
		if msg, ok := b.notes.get(device, apps[i].Name); ok {
			apps[i].Reason, apps[i].LastError = abi.ReasonVehicleCommandRejected, msg
		}
	}
	return apps
}
