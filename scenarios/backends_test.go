package scenarios

import (
	"context"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/wasmbed/wasmbed/harness/containers"
	"github.com/wasmbed/wasmbed/harness/env"
	"github.com/wasmbed/wasmbed/harness/sutproc"
	"github.com/wasmbed/wasmbed/harness/testbed"
)

// deviceBackend is one kind of device the device-agnostic specs (enrolment,
// deploy, disconnect) run on. The specs are written once; each backend
// registers them again under its own label, so `--label-filter=qemu` runs
// the same enrolment spec on QEMU guests that runs on processes by default.
type deviceBackend struct {
	// suffix is appended to the container name.
	suffix string
	// backend is the testbed backend; "" is the configured one
	// (WASMBED_DEVICES, process by default).
	backend string
	// labels are added to every spec.
	labels Labels
	// heavy marks backends where each device is expensive (a QEMU guest
	// costs ~200 MiB and seconds of CPU to boot): fleet-size specs are not
	// registered for them; the qemu label has its own 8-device spec.
	heavy bool
	// liveRedirect: Device.Redirect moves a running device at once (a QEMU
	// guest's serial bridge restarts); otherwise it takes effect at the
	// device's next start.
	liveRedirect bool
	// options builds the testbed options when the backend needs more than
	// a device backend name (containers run the SUT too).
	options func(ctx context.Context, e *env.Env) testbed.Options
}

var deviceBackends = []deviceBackend{
	{},
	{suffix: "on QEMU guests", backend: "qemu", labels: Label("qemu"), heavy: true, liveRedirect: true},
	{suffix: "in containers", labels: Label("containers"), heavy: true, options: containerTestbed},
}

// containerTestbed runs the gateway and controller as containers against
// the cluster, and the devices as containers on a Docker network.
func containerTestbed(ctx context.Context, e *env.Env) testbed.Options {
	GinkgoHelper()
	s, err := containers.ForEnv(ctx, e)
	Expect(err).NotTo(HaveOccurred(), "the containers label needs a Docker engine")
	return testbed.Options{
		SUT:      sutproc.Options{Launcher: s.SUTLauncher()},
		Backend:  "containers",
		Backends: s.Backends(),
	}
}

// newTestbed gives the spec a namespace, the SUT and this backend's devices.
func (b deviceBackend) newTestbed(ctx context.Context) (*env.Env, *testbed.Testbed) {
	GinkgoHelper()
	e := newEnv(ctx)
	opts := testbed.Options{Backend: b.backend}
	if b.options != nil {
		opts = b.options(ctx, e)
	}
	tb, err := testbed.New(ctx, e, opts)
	Expect(err).NotTo(HaveOccurred())
	return e, tb
}

// forEachBackend registers body's specs once per device backend.
func forEachBackend(name string, labels Labels, body func(b deviceBackend)) bool {
	for _, b := range deviceBackends {
		Describe(strings.TrimSpace(name+" "+b.suffix), append(append(Labels{}, labels...), b.labels...), func() { body(b) })
	}
	return true
}
