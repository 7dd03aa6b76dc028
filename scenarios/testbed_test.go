package scenarios

import (
	"context"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/wasmbed/wasmbed/harness/env"
	"github.com/wasmbed/wasmbed/harness/testbed"
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
