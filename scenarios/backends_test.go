package scenarios

import (
	"context"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/wasmbed/wasmbed/harness/containers"
	"github.com/wasmbed/wasmbed/harness/env"
	"github.com/wasmbed/wasmbed/harness/observe"
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
	// fleets: each device is cheap, so the fleet-size specs (Label
	// "scale") run here. A QEMU guest costs ~200 MiB and seconds of CPU to
	// boot and a container device its own network plumbing; the qemu
	// label has its own 8-device spec.
	fleets bool
	// gatewayOnly: the specs that attack the gateway with a hand-made
	// client rather than a device run here. They exercise the gateway,
	// which is the same on every row, so one row is enough.
	gatewayOnly bool
	// liveRedirect: Device.Redirect moves a running device at once (a QEMU
	// guest's serial bridge restarts); otherwise it takes effect at the
	// device's next start.
	liveRedirect bool
	// options builds the testbed options when the backend needs more than
	// a device backend name (containers run the SUT too).
	options func(ctx context.Context, e *env.Env) testbed.Options
}

// deviceBackends is the backend matrix: every forEachBackend spec runs on
// every row, except that the fleet-size specs run only where fleets is set
// and the gateway-only specs only where gatewayOnly is set.
//
//	row               devices               SUT        fleets  gatewayOnly
//	(configured)      WASMBED_DEVICES       processes  yes     yes
//	on QEMU guests    qemu                  processes  no      no
//	in containers     containers            containers no      no
var deviceBackends = []deviceBackend{
	{fleets: true, gatewayOnly: true},
	{suffix: "on QEMU guests", backend: "qemu", labels: Label("qemu"), liveRedirect: true},
	{suffix: "in containers", backend: "containers", labels: Label("containers"), options: containerTestbed},
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

// newTestbed gives the spec a namespace, the SUT and this backend's
// devices, and the pollers of that namespace.
func (b deviceBackend) newTestbed(ctx context.Context) (*env.Env, *testbed.Testbed, observe.Namespace) {
	GinkgoHelper()
	e := newEnv(ctx)
	opts := testbed.Options{Backend: b.backend}
	if b.options != nil {
		opts = b.options(ctx, e)
	}
	tb, err := testbed.New(ctx, e, opts)
	Expect(err).NotTo(HaveOccurred())
	return e, tb, e.Observe()
}

// forEachBackend registers body's specs once per device backend.
func forEachBackend(name string, labels Labels, body func(b deviceBackend)) bool {
	for _, b := range deviceBackends {
		Describe(strings.TrimSpace(name+" "+b.suffix), append(append(Labels{}, labels...), b.labels...), func() { body(b) })
	}
	return true
}
