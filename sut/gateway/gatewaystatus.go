package gateway

import (
	"context"
	"encoding/json"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	wasmbedv1 "github.com/wasmbed/wasmbed/sut/api/v1alpha1"
)

// reportGatewayStatus keeps the Gateway's connected count and Ready
// condition current, writing only when the count changed.
func (g *Gateway) reportGatewayStatus(ctx context.Context) {
	t := time.NewTicker(2 * time.Second)
	defer t.Stop()
	last := -1
	for {
		if n := g.reg.count(); n != last {
			if err := g.patchGatewayStatus(ctx, n); err == nil {
				last = n
			} else if ctx.Err() == nil {
				g.log.Warn("gateway status write failed", "err", err)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (g *Gateway) patchGatewayStatus(ctx context.Context, connected int) error {
	gw := &wasmbedv1.Gateway{}
	if err := g.client.Get(ctx, client.ObjectKey{Namespace: g.opts.Namespace, Name: g.opts.Name}, gw); err != nil {
		return err
	}
	ready := metav1.Condition{
		Type: wasmbedv1.ConditionReady, Status: metav1.ConditionTrue, Reason: "Serving",
		Message: "accepting device connections", ObservedGeneration: gw.Generation, LastTransitionTime: metav1.Now(),
	}
	for _, c := range gw.Status.Conditions {
		if c.Type == ready.Type && c.Status == ready.Status {
			ready.LastTransitionTime = c.LastTransitionTime
		}
	}
	conds := []metav1.Condition{ready}
	for _, c := range gw.Status.Conditions {
		if c.Type != ready.Type {
			conds = append(conds, c)
		}
	}
	body, _ := json.Marshal(map[string]any{"status": map[string]any{
		"connectedDevices": connected, "observedGeneration": gw.Generation, "conditions": conds,
	}})
	return g.client.Status().Patch(ctx, gw, client.RawPatch(types.MergePatchType, body))
}
