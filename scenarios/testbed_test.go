package scenarios

import (
	"context"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/types"

	"github.com/wasmbed/wasmbed/harness/env"
	"github.com/wasmbed/wasmbed/harness/testbed"
	wasmbedv1 "github.com/wasmbed/wasmbed/sut/api/v1alpha1"
)

// newTestbed gives the current spec a namespace, the SUT running in it and
// a device backend.
func newTestbed(ctx context.Context, o testbed.Options) (*env.Env, *testbed.Testbed) {
	GinkgoHelper()
	e := newEnv(ctx)
	tb, err := testbed.New(ctx, e, o)
	Expect(err).NotTo(HaveOccurred())
	return e, tb
}

// connected starts n token-enrolled devices named prefix-00, prefix-01, …
// at once, waits until all are Connected and sets labels on them
// (testbed.ConnectedDevices).
func connected(ctx context.Context, tb *testbed.Testbed, prefix string, n int, labels map[string]string) []*testbed.Device {
	GinkgoHelper()
	devs, err := tb.ConnectedDevices(ctx, n, testbed.FleetOptions{Prefix: prefix, Labels: labels})
	Expect(err).NotTo(HaveOccurred())
	return devs
}

// connectedDevice starts one token-enrolled device called name, waits
// until it is Connected, and returns it with its Device's UID.
func connectedDevice(ctx context.Context, e *env.Env, tb *testbed.Testbed, name string) (*testbed.Device, types.UID) {
	GinkgoHelper()
	d, err := tb.NewDevice(ctx, name, testbed.DeviceOptions{Token: true})
	Expect(err).NotTo(HaveOccurred())
	Eventually(ctx, e.Observe().DevicePhase(name)).Should(Equal(wasmbedv1.DeviceConnected))
	dev, err := e.Observe().Device(name)(ctx)
	Expect(err).NotTo(HaveOccurred())
	return d, dev.UID
}
