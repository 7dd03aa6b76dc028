package scenarios

import (
	"strings"

	. "github.com/onsi/ginkgo/v2"
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
}

var deviceBackends = []deviceBackend{
	{},
	{suffix: "on QEMU guests", backend: "qemu", labels: Label("qemu"), heavy: true},
}

// forEachBackend registers body's specs once per device backend.
func forEachBackend(name string, labels Labels, body func(b deviceBackend)) bool {
	for _, b := range deviceBackends {
		Describe(strings.TrimSpace(name+" "+b.suffix), append(append(Labels{}, labels...), b.labels...), func() { body(b) })
	}
	return true
}
