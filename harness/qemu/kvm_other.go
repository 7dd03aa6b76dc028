//go:build !amd64

package qemu

// probeKVM: the probe guest is x86 code; on other hosts QEMU guests run
// under TCG.
func probeKVM() (bool, string) { return false, "KVM probe only implemented on amd64 hosts" }
