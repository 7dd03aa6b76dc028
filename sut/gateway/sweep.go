package gateway

import (
	"context"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"

	wasmbedv1 "github.com/wasmbed/wasmbed/sut/api/v1alpha1"
)

// sweepStale marks Disconnected the devices a previous run of this gateway
// left Connected and that did not come back within one heartbeat timeout.
// Without it a device that died while its gateway was down would read
// Connected forever.
func (g *Gateway) sweepStale(ctx context.Context) {
	select {
	case <-ctx.Done():
		return
	case <-time.After(heartbeatTimeout(g.getSpec())):
	}
	var list wasmbedv1.DeviceList
	if err := g.client.List(ctx, &list, client.InNamespace(g.opts.Namespace)); err != nil {
		g.log.Warn("stale-session sweep failed", "err", err)
		return
	}
	for i := range list.Items {
		d := &list.Items[i]
		if d.Status.Gateway != g.opts.Name || d.Status.Phase != wasmbedv1.DeviceConnected || g.reg.current(d.Name) != nil {
			continue
		}
		if d.Status.ConnectedSince != nil && d.Status.ConnectedSince.Time.After(g.started) {
			continue // connected to this run and already gone: recorded by its session
		}
		g.log.Info("device did not reconnect after gateway restart", "device", d.Name)
		if err := g.patchDeviceStatus(ctx, d.Name, "disconnect", map[string]any{
			"phase": wasmbedv1.DeviceDisconnected, "connectedSince": nil,
		}); err != nil {
			g.log.Warn("marking stale device Disconnected failed", "device", d.Name, "err", err)
		}
	}
}
