package gateway

import (
	"context"
	"crypto/ed25519"

	"sigs.k8s.io/controller-runtime/pkg/client"

	wasmbedv1 "github.com/wasmbed/wasmbed/sut/api/v1alpha1"
)

// indexPublicKey indexes cached Devices by spec.publicKey, so identifying a
// connection is a map lookup, not a List against the API server.
const indexPublicKey = "spec.publicKey"

// deviceByKey returns the Device whose key is pub, or nil.
func (g *Gateway) deviceByKey(pub ed25519.PublicKey) (*wasmbedv1.Device, error) {
	var list wasmbedv1.DeviceList
	if err := g.client.List(context.Background(), &list,
		client.InNamespace(g.opts.Namespace),
		client.MatchingFields{indexPublicKey: wasmbedv1.EncodePublicKey(pub)},
	); err != nil {
		return nil, err
	}
	if len(list.Items) == 0 {
		return nil, nil
	}
	return &list.Items[0], nil
}

func clientKey(o client.Object) client.ObjectKey {
	return client.ObjectKey{Namespace: o.GetNamespace(), Name: o.GetName()}
}
