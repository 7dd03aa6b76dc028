package gateway

import (
	"context"
	"fmt"
	"os"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	wasmbedv1 "github.com/wasmbed/wasmbed/sut/api/v1alpha1"
)

// renewLease keeps the gateway's Lease fresh every third of its duration.
// The controller watches it: a Lease left to expire makes this gateway's
// devices Unreachable after the Gateway's grace period.
func (g *Gateway) renewLease(ctx context.Context) {
	key := client.ObjectKey{Namespace: g.opts.Namespace, Name: wasmbedv1.LeaseName(g.opts.Name)}
	holder := fmt.Sprintf("%s/%d", g.opts.Name, os.Getpid())
	t := time.NewTicker(g.opts.LeaseDuration / 3)
	defer t.Stop()
	for {
		if err := g.renewOnce(ctx, key, holder); err != nil && ctx.Err() == nil {
			g.log.Warn("lease renewal failed", "lease", key.Name, "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (g *Gateway) renewOnce(ctx context.Context, key client.ObjectKey, holder string) error {
	now := metav1.NewMicroTime(time.Now())
	var l coordinationv1.Lease
	err := g.reader.Get(ctx, key, &l)
	if apierrors.IsNotFound(err) {
		l = coordinationv1.Lease{
			ObjectMeta: metav1.ObjectMeta{Namespace: key.Namespace, Name: key.Name, Labels: map[string]string{"wasmbed.io/gateway": g.opts.Name}},
			Spec: coordinationv1.LeaseSpec{
				HolderIdentity:       &holder,
				LeaseDurationSeconds: ptr.To(int32(g.opts.LeaseDuration.Seconds())),
				AcquireTime:          &now,
				RenewTime:            &now,
			},
		}
		return g.client.Create(ctx, &l)
	}
	if err != nil {
		return err
	}
	if l.Spec.HolderIdentity == nil || *l.Spec.HolderIdentity != holder {
		l.Spec.HolderIdentity = &holder
		l.Spec.AcquireTime = &now
		l.Spec.LeaseTransitions = ptr.To(ptr.Deref(l.Spec.LeaseTransitions, 0) + 1)
	}
	l.Spec.RenewTime = &now
	l.Spec.LeaseDurationSeconds = ptr.To(int32(g.opts.LeaseDuration.Seconds()))
	return g.client.Update(ctx, &l)
}
