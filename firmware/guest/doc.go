// Package guest does what the firmware must do when it runs as PID 1 (the
// kernel's /init) inside a QEMU guest, before the agent can start.
//
// A QEMU device boots a stock Debian kernel straight into the firmware: no
// distribution, no udev, no modprobe, no init system. That keeps a boot at
// about a second under TCG and makes the guest as bare as the
// microcontroller it stands for, but it means the firmware has to do
// itself what an init system would:
//
//   - mount /proc, /sys and /dev (devtmpfs);
//   - load the kernel modules the image builder put in the initramfs
//     (virtio transport, virtio-blk, filesystem), in the dependency order
//     it recorded, with finit_module (compressed .ko.xz included), passing
//     module options from the kernel command line as modprobe would;
//   - read its configuration from the kernel command line (wasmbed.* keys,
//     see Config), because a guest has nothing else the host can set;
//   - mount the persistent flash disk at /flash (ext4 on virtio-blk), so
//     firmware/flash.Dir gives atomic, power-cut-safe writes;
//   - open the data UART in raw mode and start the serial link
//     (firmware/seriallink), whose Dial is the agent's only way out;
//   - shut down cleanly: sync, unmount, reboot(2). PID 1 must never exit,
//     or the kernel panics.
//
// The firmware's main calls Boot when os.Getpid() == 1, and hands
// System.Dial and System.Store to the agent.
package guest
