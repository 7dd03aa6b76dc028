package qemuimages

import (
	"fmt"
	"sort"
	"strings"
)

// Profile is one kind of QEMU device: which Debian kernel it boots, how the
// firmware is compiled for it, and how QEMU must be started for it. The
// harness's fleet manager takes the QEMU side from here too, so the image
// and the machine that boots it cannot disagree.
type Profile struct {
	// Name is the profile name used everywhere (devices, lock file).
	Name string
	// DebArch and GOARCH name the architecture for Debian and for Go.
	DebArch, GOARCH string
	// Dist is the Debian release the kernel comes from; its -updates and
	// -security pockets are searched too.
	Dist string
	// KernelMeta is the Debian meta-package that depends on the newest
	// kernel of the flavour; refreshing the lock follows it.
	KernelMeta string
	// KernelImage is the kernel file inside the package, with %s for the
	// kernel release (uname -r).
	KernelImage string
	// Modules are the kernel modules the guest needs for its flash disk,
	// by name; those built into the kernel are skipped, the others are
	// copied into the initramfs with their dependencies.
	Modules []string

	// QEMU is the emulator binary, from the Debian package QEMUPackage.
	QEMU, QEMUPackage string
	// Machine, CPU and Memory are QEMU's -M, -cpu and -m.
	Machine, CPU, Memory string
	// KVMCPU replaces CPU when KVM is used.
	KVMCPU string
	// Console is the kernel console device (console=...), on QEMU's
	// -serial.
	Console string
	// DataDevice is the QEMU -device for the data UART; %s is the chardev
	// id.
	DataDevice string
	// DataLine is the guest's device node for the data UART.
	DataLine string
	// DiskDevice is the QEMU -device for the flash disk; %s is the drive
	// id.
	DiskDevice string
	// DiskNode is the guest's device node for the flash disk.
	DiskNode string
	// ExtraAppend is added to the kernel command line.
	ExtraAppend string
}

// KVMArch is the host architecture (GOARCH) on which KVM can run the
// profile, or "" if never.
func (p Profile) KVMArch() string {
	if p.KVMCPU == "" {
		return ""
	}
	return p.GOARCH
}

// The flash disk is ext4 on virtio-blk over virtio-mmio on every machine:
// microvm has nothing else, and on virt it spares the PCI virtio modules.
// crc32c is requested explicitly: ext4 asks the crypto API for it at mount
// time (metadata checksums), which would need modprobe in the guest.
var flashModules = []string{"virtio_mmio", "virtio_blk", "crc32c_generic", "ext4"}

var profiles = map[string]Profile{
	"arm64-virt": {
		Name: "arm64-virt", DebArch: "arm64", GOARCH: "arm64", Dist: "bookworm",
		KernelMeta: "linux-image-cloud-arm64", KernelImage: "boot/vmlinuz-%s",
		Modules: flashModules,
		QEMU:    "qemu-system-aarch64", QEMUPackage: "qemu-system-arm", Machine: "virt", CPU: "cortex-a57", Memory: "128M",
		Console: "ttyAMA0", DataDevice: "pci-serial,chardev=%s", DataLine: "/dev/ttyS0",
		DiskDevice: "virtio-blk-device,drive=%s", DiskNode: "/dev/vda",
		// 128 MiB, not the 64 MiB the board boots in: with 64 MiB a trapping
		// app (a runaway recursion) left the firmware's Go runtime no room
		// and the kernel panicked out of memory. The kernel's default CMA
		// pool is not needed either way.
		ExtraAppend: "cma=0",
	},
	"riscv64-virt": {
		Name: "riscv64-virt", DebArch: "riscv64", GOARCH: "riscv64", Dist: "trixie",
		// The compressed vmlinuz is not loadable by QEMU's -kernel on
		// riscv64; the package also ships the plain vmlinux ELF.
		KernelMeta: "linux-image-riscv64", KernelImage: "boot/vmlinux-%s",
		Modules: flashModules,
		QEMU:    "qemu-system-riscv64", QEMUPackage: "qemu-system-misc", Machine: "virt", Memory: "128M",
		Console: "ttyS0", DataDevice: "pci-serial,chardev=%s", DataLine: "/dev/ttyS1",
		DiskDevice: "virtio-blk-device,drive=%s", DiskNode: "/dev/vda",
	},
	"x86_64-microvm": {
		Name: "x86_64-microvm", DebArch: "amd64", GOARCH: "amd64", Dist: "bookworm",
		KernelMeta: "linux-image-cloud-amd64", KernelImage: "boot/vmlinuz-%s",
		Modules: flashModules,
		// -cpu max gives wazero's compiler the SSE4.1 it needs under TCG.
		QEMU: "qemu-system-x86_64", QEMUPackage: "qemu-system-x86", Machine: "microvm", CPU: "max", KVMCPU: "host", Memory: "128M",
		Console: "ttyS0", DataDevice: "isa-serial,chardev=%s,iobase=0x2f8,irq=3", DataLine: "/dev/ttyS1",
		DiskDevice: "virtio-blk-device,drive=%s", DiskNode: "/dev/vda",
		// microvm has no keyboard controller or ACPI reset register the
		// kernel would try first: reboot by triple fault, which QEMU turns
		// into a machine reset.
		ExtraAppend: "reboot=t",
	},
}

// Profiles returns every QEMU profile, sorted by name.
func Profiles() []Profile {
	out := make([]Profile, 0, len(profiles))
	for _, p := range profiles {
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// ProfileNames returns the names of Profiles.
func ProfileNames() []string {
	var names []string
	for _, p := range Profiles() {
		names = append(names, p.Name)
	}
	return names
}

// LookupProfile returns the named profile. The ESP32 profile is not a QEMU
// profile (Debian's QEMU has no ESP32 machine): it runs as a process
// device.
func LookupProfile(name string) (Profile, error) {
	p, ok := profiles[name]
	if !ok {
		return Profile{}, fmt.Errorf("qemu-images: no QEMU profile %q (have %s); ESP32 devices run as process devices", name, strings.Join(ProfileNames(), ", "))
	}
	return p, nil
}
