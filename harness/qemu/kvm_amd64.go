package qemu

import (
	"errors"
	"fmt"
	"runtime"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// KVM ioctls and structures (linux/kvm.h, x86).
const (
	kvmGetAPIVersion       = 0xAE00
	kvmCreateVM            = 0xAE01
	kvmGetVCPUMmapSize     = 0xAE04
	kvmCreateVCPU          = 0xAE41
	kvmSetUserMemoryRegion = 0x4020AE46
	kvmRun                 = 0xAE80
	kvmGetRegs             = 0x8090AE81
	kvmSetRegs             = 0x4090AE82
	kvmGetSregs            = 0x8138AE83
	kvmSetSregs            = 0x4138AE84

	kvmExitIO       = 2
	kvmExitHLT      = 5
	kvmExitShutdown = 8
)

type kvmUserspaceMemoryRegion struct {
	Slot, Flags                         uint32
	GuestPhysAddr, MemorySize, UserAddr uint64
}

// probeKVM runs "mov dx,0x3f8; add al,bl; add al,'0'; out dx,al;
// mov al,'\n'; out dx,al; hlt" with al=2, bl=2 and expects the port writes
// "4" and "\n", then a halt.
func probeKVM() (bool, string) {
	type result struct {
		ok     bool
		reason string
	}
	done := make(chan result, 1)
	go func() {
		// A vCPU must be run from the thread that created it. Unlock when
		// done rather than letting the thread exit: children forked from
		// it earlier (QEMU) carry a parent-death signal tied to the thread.
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		ok, reason := runKVMProbe()
		done <- result{ok, reason}
	}()
	select {
	case r := <-done:
		return r.ok, r.reason
	case <-time.After(5 * time.Second):
		return false, "KVM probe guest did not halt within 5s"
	}
}

func ioctl(fd int, req, arg uintptr) (uintptr, error) {
	r, _, errno := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), req, arg)
	if errno != 0 {
		return r, errno
	}
	return r, nil
}

func runKVMProbe() (bool, string) {
	kvm, err := unix.Open("/dev/kvm", unix.O_RDWR|unix.O_CLOEXEC, 0)
	if err != nil {
		return false, fmt.Sprintf("cannot open /dev/kvm: %v", err)
	}
	defer unix.Close(kvm)
	if v, err := ioctl(kvm, kvmGetAPIVersion, 0); err != nil || v != 12 {
		return false, fmt.Sprintf("KVM API version %d, %v (want 12)", v, err)
	}
	vmfd, err := ioctl(kvm, kvmCreateVM, 0)
	if err != nil {
		return false, fmt.Sprintf("KVM_CREATE_VM: %v", err)
	}
	vm := int(vmfd)
	defer unix.Close(vm)

	mem, err := unix.Mmap(-1, 0, 0x1000, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED|unix.MAP_ANONYMOUS)
	if err != nil {
		return false, fmt.Sprintf("mmap guest memory: %v", err)
	}
	defer unix.Munmap(mem)
	copy(mem, []byte{0xba, 0xf8, 0x03, 0x00, 0xd8, 0x04, '0', 0xee, 0xb0, '\n', 0xee, 0xf4})
	region := kvmUserspaceMemoryRegion{GuestPhysAddr: 0x1000, MemorySize: 0x1000, UserAddr: uint64(uintptr(unsafe.Pointer(&mem[0])))}
	if _, err := ioctl(vm, kvmSetUserMemoryRegion, uintptr(unsafe.Pointer(&region))); err != nil {
		return false, fmt.Sprintf("KVM_SET_USER_MEMORY_REGION: %v", err)
	}
	cpufd, err := ioctl(vm, kvmCreateVCPU, 0)
	if err != nil {
		return false, fmt.Sprintf("KVM_CREATE_VCPU: %v", err)
	}
	cpu := int(cpufd)
	defer unix.Close(cpu)
	size, err := ioctl(kvm, kvmGetVCPUMmapSize, 0)
	if err != nil {
		return false, fmt.Sprintf("KVM_GET_VCPU_MMAP_SIZE: %v", err)
	}
	run, err := unix.Mmap(cpu, 0, int(size), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		return false, fmt.Sprintf("mmap kvm_run: %v", err)
	}
	defer unix.Munmap(run)

	var sregs [0x138]byte
	if _, err := ioctl(cpu, kvmGetSregs, uintptr(unsafe.Pointer(&sregs[0]))); err != nil {
		return false, fmt.Sprintf("KVM_GET_SREGS: %v", err)
	}
	// cs is the first kvm_segment: base (u64) at 0, selector (u16) at 12.
	*(*uint64)(unsafe.Pointer(&sregs[0])) = 0
	*(*uint16)(unsafe.Pointer(&sregs[12])) = 0
	if _, err := ioctl(cpu, kvmSetSregs, uintptr(unsafe.Pointer(&sregs[0]))); err != nil {
		return false, fmt.Sprintf("KVM_SET_SREGS: %v", err)
	}
	var regs [18]uint64 // rax rbx ... r15 rip rflags
	regs[0], regs[1], regs[16], regs[17] = 2, 2, 0x1000, 0x2
	if _, err := ioctl(cpu, kvmSetRegs, uintptr(unsafe.Pointer(&regs[0]))); err != nil {
		return false, fmt.Sprintf("KVM_SET_REGS: %v", err)
	}

	var out []byte
	for range 16 {
		if _, err := ioctl(cpu, kvmRun, 0); err != nil {
			if errors.Is(err, unix.EINTR) {
				continue
			}
			return false, fmt.Sprintf("KVM_RUN: %v", err)
		}
		reason := *(*uint32)(unsafe.Pointer(&run[8]))
		switch reason {
		case kvmExitHLT:
			if string(out) == "4\n" {
				return true, "KVM ran the probe guest"
			}
			return false, fmt.Sprintf("KVM probe guest wrote %q, want \"4\\n\"", out)
		case kvmExitIO:
			// kvm_run.io at offset 32: direction u8, size u8, port u16,
			// count u32, data_offset u64.
			port := *(*uint16)(unsafe.Pointer(&run[34]))
			off := *(*uint64)(unsafe.Pointer(&run[40]))
			if port == 0x3f8 && off < uint64(len(run)) {
				out = append(out, run[off])
			}
		case kvmExitShutdown:
			return false, "KVM probe guest triple-faulted (KVM does not run guests correctly here)"
		default:
			return false, fmt.Sprintf("KVM probe guest exited with reason %d", reason)
		}
	}
	return false, "KVM probe guest never halted"
}
