package agent

import (
	"time"

	"github.com/wasmbed/wasmbed/sut/refusal"
)

// EventKind names something that happened to a device.
type EventKind string

// Event kinds.
const (
	EventEnrolled       EventKind = "Enrolled"
	EventEnrollRefused  EventKind = "EnrollRefused"
	EventConnected      EventKind = "Connected"
	EventSessionRefused EventKind = "SessionRefused"
	EventDisconnected   EventKind = "Disconnected"
	EventHeartbeatAcked EventKind = "HeartbeatAcked"
	EventRenewed        EventKind = "CertificateRenewed"
	EventDeployed       EventKind = "Deployed"
	EventDeployFailed   EventKind = "DeployFailed"
	EventStopped        EventKind = "Stopped"
	EventAppState       EventKind = "AppState"
	EventPublished      EventKind = "Published"
)

// Event is what an agent reports to an observer (the in-process fleet, a
// benchmark). Process devices log the same facts.
type Event struct {
	Kind    EventKind
	Time    time.Time
	Device  string
	Reason  refusal.Reason // refusal reason code, app failure reason
	Message string         // human detail
	App     string         // app events
	Latency time.Duration  // HeartbeatAcked: send to ack; Enrolled: request to certificate
	Seq     uint64         // HeartbeatAcked
}
