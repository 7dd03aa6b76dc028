package guest

import (
	"errors"
	"fmt"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// FlashMount is where the flash disk is mounted.
const FlashMount = "/flash"

type mountPoint struct {
	source, target, fstype string
	flags                  uintptr
	data                   string
}

// baseMounts are what the firmware needs from the kernel.
var baseMounts = []mountPoint{
	{"proc", "/proc", "proc", unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC, ""},
	{"sysfs", "/sys", "sysfs", unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC, ""},
	{"devtmpfs", "/dev", "devtmpfs", unix.MS_NOSUID, "mode=0755"},
	{"tmpfs", "/tmp", "tmpfs", unix.MS_NOSUID | unix.MS_NODEV, "mode=1777,size=8m"},
}

func mount(m mountPoint) error {
	if err := os.MkdirAll(m.target, 0o755); err != nil {
		return err
	}
	err := unix.Mount(m.source, m.target, m.fstype, m.flags, m.data)
	if errors.Is(err, unix.EBUSY) {
		return nil // already mounted (the kernel may mount devtmpfs itself)
	}
	if err != nil {
		return fmt.Errorf("guest: mount %s on %s: %w", m.fstype, m.target, err)
	}
	return nil
}

// mountBase mounts /proc, /sys, /dev and /tmp.
func mountBase() error {
	for _, m := range baseMounts {
		if err := mount(m); err != nil {
			return err
		}
	}
	return nil
}

// waitForFile polls until path exists: devtmpfs creates a disk's node only
// once its driver has probed it, asynchronously after the module loads.
func waitForFile(path string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		_, err := os.Stat(path)
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("guest: %s did not appear within %s: %w", path, timeout, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// mountFlash mounts the flash disk at FlashMount. With device "none" it
// mounts a tmpfs instead and reports the flash as volatile.
func mountFlash(device, fstype string, wait time.Duration) (persistent bool, err error) {
	if device == "none" || device == "" {
		return false, mount(mountPoint{"flash", FlashMount, "tmpfs", unix.MS_NOSUID | unix.MS_NODEV, "mode=0700,size=16m"})
	}
	if err := waitForFile(device, wait); err != nil {
		return false, fmt.Errorf("%w (is the flash disk attached, and were its driver modules loaded?)", err)
	}
	m := mountPoint{device, FlashMount, fstype, unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOATIME, ""}
	if err := mount(m); err != nil {
		return false, fmt.Errorf("%w (the harness creates the flash image; a blank or corrupt disk is not formatted by the firmware)", err)
	}
	return true, nil
}

// unmountFlash makes the flash safe to power off: unmount, or at least
// remount read-only if something still holds it.
func unmountFlash() error {
	unix.Sync()
	err := unix.Unmount(FlashMount, 0)
	if err == nil || errors.Is(err, unix.EINVAL) { // EINVAL: not mounted
		return nil
	}
	if rerr := unix.Mount("", FlashMount, "", unix.MS_REMOUNT|unix.MS_RDONLY, ""); rerr != nil {
		return fmt.Errorf("guest: unmount %s: %v; remount read-only: %w", FlashMount, err, rerr)
	}
	return nil
}
