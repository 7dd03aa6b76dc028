// Package qemu is the fleet manager for QEMU devices: it boots guests of
// mixed profiles from qemu-images, each with its own flash disk and its data
// UART bridged by serialbridge to the gateway address the caller gives,
// and it cuts power, resets, reboots and cleans them up.
//
// Why it looks the way it does:
//
//   - QEMU runs under TCG. KVM is used only when a real probe guest runs
//     correctly (KVMUsable): on this kind of machine /dev/kvm opens yet
//     runs guests wrongly, and QEMU would boot garbage instead of failing.
//   - A device is booted when its firmware says so: the first byte on the
//     data line is its READY frame, so the boot timeout and the boot time
//     measure exactly "QEMU started" to "firmware can talk".
//   - Power cut is SIGKILL of QEMU, the closest a host process gets to
//     pulling the plug: the guest gets no chance to flush. Reset goes
//     through QMP (system_reset), like a reset button. Both keep the
//     disk, which is a file owned by the fleet.
//   - Nothing may leak: QEMU processes are started through harness/proc
//     (own process group, parent-death signal, ownership token), sockets
//     and disks live in one temporary directory per fleet, and Close
//     removes everything. A fleet whose harness died is swept by the next
//     New (its directory carries the owner's PID and start time).
//   - Per-device artefacts go to the caller's folder: console.log (the
//     kernel console), dataline.log (every link frame and event) and
//     qemu.log (QEMU's own output and exit status).
package qemu
