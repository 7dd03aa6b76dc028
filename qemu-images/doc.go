// Package qemuimages builds the guest images QEMU devices boot: for each
// profile (arm64-virt, riscv64-virt, x86_64-microvm) a stock Debian kernel
// and an initramfs whose /init is the firmware, statically cross-compiled
// from Go.
//
// Why this shape: a stock kernel from a pinned Debian package is a real
// part with nothing custom to maintain; an initramfs with a single static
// binary boots in about a second under TCG and needs no root filesystem
// image; and the kernel modules the flash disk needs are copied from the
// same package, in dependency order, so the guest loads them itself
// without modprobe (see firmware/guest).
//
// Everything is reproducible and cached by content: the kernel package is
// pinned by version and sha256 in kernels.lock and cached by that hash,
// the firmware is built with -trimpath and no build id, and the initramfs
// is written by a Go cpio writer with sorted entries and fixed metadata.
// The image's cache key is the hash of all of that, so a second build of
// the same inputs is a cache hit and any change gives a new image.
//
// The package is a tool below the harness and imports none of it: Options
// hand it the repository, the cache, the Debian mirror and a progress sink.
// The harness calls Ensure on demand with its own (harness/qemu's
// ImageOptions); `make qemu-images` (harness qemu-images) builds every
// profile ahead of time, and `make qemu-images-lock` re-pins the kernels.
package qemuimages
