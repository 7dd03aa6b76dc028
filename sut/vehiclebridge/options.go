package vehiclebridge

import (
	"errors"
	"log/slog"

	"github.com/prometheus/client_golang/prometheus"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/wasmbed/wasmbed/sut/protocol"
	"github.com/wasmbed/wasmbed/sut/refusal"
)

// Options configure a Bridge. Every field is required but Logger.
type Options struct {
	// Namespace holds the gateway's Gateway, Devices and Applications.
	Namespace string
	// Gateway is the name of the Gateway object the gateway serves.
	Gateway string
	// Informers are the gateway's informers; the bridge follows Devices
	// and Applications through them.
	Informers cache.Informers
	// Reader reads Devices and Applications, from the informer cache.
	Reader client.Reader
	// Sessions are the gateway's live device sessions.
	Sessions Sessions
	// Status has a device's status rewritten.
	Status StatusRecorder
	// Audit counts refusals in the gateway's audit counter.
	Audit Audit
	// Registry receives the bridge's metrics.
	Registry prometheus.Registerer
	// Logger receives the bridge's logs; nil discards them.
	Logger *slog.Logger
}

// Sessions is what the bridge needs of the gateway's device sessions.
type Sessions interface {
	// Connected reports whether device has a live session with the
	// gateway.
	Connected(device string) bool
	// Send sends m on device's live session. It returns ErrNoSession when
	// the device has none.
	Send(device string, m protocol.Message) error
}

// ErrNoSession is returned by Sessions.Send for a device without a live
// session.
var ErrNoSession = errors.New("the device has no live session")

// StatusRecorder rewrites device status.
type StatusRecorder interface {
	// AppsChanged has the app list of device's status rewritten from its
	// live session, through Bridge.Annotate. A device without a live
	// session is left alone.
	AppsChanged(device string)
}

// Audit is the gateway's audit counter, wasmbed_gateway_refusals_total.
type Audit interface {
	Refuse(stage refusal.Stage, reason refusal.Reason)
}
