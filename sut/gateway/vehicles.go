package gateway

import (
	"github.com/wasmbed/wasmbed/sut/protocol"
	"github.com/wasmbed/wasmbed/sut/refusal"
	"github.com/wasmbed/wasmbed/sut/vehiclebridge"
)

// vehicleHooks are what the MAVLink bridge (sut/vehiclebridge) sees of the
// gateway: its live sessions, its Device status writer and its audit
// counter.
type vehicleHooks struct{ g *Gateway }

var (
	_ vehiclebridge.Sessions       = vehicleHooks{}
	_ vehiclebridge.StatusRecorder = vehicleHooks{}
	_ vehiclebridge.Audit          = vehicleHooks{}
)

func newVehicleBridge(g *Gateway) *vehiclebridge.Bridge {
	h := vehicleHooks{g}
	return vehiclebridge.New(vehiclebridge.Options{
		Namespace: g.opts.Namespace,
		Gateway:   g.opts.Name,
		Informers: g.cluster.GetCache(),
		Reader:    g.client,
		Sessions:  h,
		Status:    h,
		Audit:     h,
		Registry:  g.metrics.registry,
		Logger:    g.log,
	})
}

func (h vehicleHooks) Connected(device string) bool { return h.g.reg.current(device) != nil }

func (h vehicleHooks) Send(device string, m protocol.Message) error {
	s := h.g.reg.current(device)
	if s == nil {
		return vehiclebridge.ErrNoSession
	}
	return s.conn.Send(s.conn.NewID(), m)
}

func (h vehicleHooks) AppsChanged(device string) {
	if s := h.g.reg.current(device); s != nil {
		h.g.status.appsChanged(s)
	}
}

func (h vehicleHooks) Refuse(stage refusal.Stage, reason refusal.Reason) {
	h.g.metrics.refuse(stage, reason)
}
