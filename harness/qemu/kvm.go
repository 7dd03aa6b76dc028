package qemu

import (
	"sync"

	"github.com/wasmbed/wasmbed/harness/config"
)

var (
	kvmOnce   sync.Once
	kvmOK     bool
	kvmReason string
)

// KVMUsable is the cheap first stage of the KVM probe: it reports whether
// KVM can run a guest at all on this host, and why not. It creates a VM
// and a vCPU and runs a few real-mode instructions that write to an I/O
// port and halt, checking every exit. The result is cached for the
// process; WASMBED_KVM=off skips it.
//
// Passing it is not enough: /dev/kvm can open and run that much yet fail
// a real boot (on this kind of machine the kernel resets in a loop while
// entering protected mode, and QEMU reports no error). So the fleet also
// boots the actual image under KVM once and uses KVM only if the firmware
// announces itself (see Options.Accel).
func KVMUsable() (bool, string) {
	kvmOnce.Do(func() {
		if config.FromEnv().KVM == "off" {
			kvmReason = "disabled by WASMBED_KVM=off"
			return
		}
		kvmOK, kvmReason = probeKVM()
	})
	return kvmOK, kvmReason
}
