package apps

import (
	"github.com/wasmbed/wasmbed/sut/protocol"
	"github.com/wasmbed/wasmbed/sut/refusal"
)

// State is an app's state on its device. The values are the Device CRD's
// AppState names.
type State string

// App states.
const (
	// StatePending: restored from flash, not started yet.
	StatePending State = "Pending"
	// StateInstalling: accepted and persisted, starting.
	StateInstalling State = "Installing"
	// StateRunning: init has returned; the app ticks and receives messages.
	StateRunning State = "Running"
	// StateBackoff: it failed (or completed under RestartAlways) and waits
	// to restart.
	StateBackoff State = "Backoff"
	// StateFailed: refused, or failed with no restart left.
	StateFailed State = "Failed"
	// StateStopped: removed, or completed and not to be restarted.
	StateStopped State = "Stopped"
)

// AppStatus is one app as its device reports it.
type AppStatus struct {
	Name   string
	Digest string
	State  State
	// Restarts counts restarts since the app was installed or the device
	// booted.
	Restarts uint32
	// Reason is the stable code of the last failure (abi.Reason*); it stays
	// after a successful restart, like LastError.
	Reason refusal.Reason
	// LastError is the last failure's message, e.g. the trap.
	LastError string
	// MemoryBytes is the size of the app's linear memory; 0 while no
	// instance exists.
	MemoryBytes uint64
}

// Protocol converts the status to its wire form.
func (s AppStatus) Protocol() protocol.AppStatus {
	return protocol.AppStatus{
		Name:        s.Name,
		Digest:      s.Digest,
		State:       string(s.State),
		Restarts:    s.Restarts,
		Reason:      s.Reason,
		LastError:   s.LastError,
		MemoryBytes: s.MemoryBytes,
	}
}

// StatusFromProtocol converts a wire status.
func StatusFromProtocol(p protocol.AppStatus) AppStatus {
	return AppStatus{
		Name:        p.Name,
		Digest:      p.Digest,
		State:       State(p.State),
		Restarts:    p.Restarts,
		Reason:      p.Reason,
		LastError:   p.LastError,
		MemoryBytes: p.MemoryBytes,
	}
}

// ProtocolStatuses converts statuses to their wire form, e.g. for a
// Heartbeat.
func ProtocolStatuses(ss []AppStatus) []protocol.AppStatus {
	out := make([]protocol.AppStatus, len(ss))
	for i, s := range ss {
		out[i] = s.Protocol()
	}
	return out
}
