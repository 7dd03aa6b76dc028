package qemuimages

import (
	"errors"
)

// Progress receives a line per step of a build. The harness's
// progress.Printer is one; nil is silent.
type Progress interface {
	Printf(format string, args ...any)
}

// Cache keeps build products between runs, addressed by content: it
// returns the directory of the complete entry kind/key, first calling
// build to fill a fresh directory if the entry is missing. Concurrent
// callers, in any process, must share one build, and an interrupted build
// must leave no entry. The harness passes harness/cache.Ensure.
type Cache func(kind, key string, build func(dir string) error) (string, error)

// Mirror returns the base URI of the Debian archive that serves a suite
// (bookworm, bookworm-updates, trixie-security). The harness passes
// harness/aptsources.Mirrors.URI: the machine's own mirror, or the one
// WASMBED_DEBIAN_MIRROR names.
type Mirror func(suite string) (string, error)

// Options are the inputs of an image besides the profile, and what the
// builder works with. qemu-images is a tool below the harness: it is
// handed the repository, the cache, the mirror and a progress sink, and
// finds none of them itself.
type Options struct {
	// Firmware is the Go main package built as /init (default
	// DefaultFirmware), relative to Root or an import path.
	Firmware string
	// Root is the repository the firmware is compiled in and kernels.lock
	// is read from. Required.
	Root string
	// Cache keeps kernels and images. Required.
	Cache Cache
	// Mirror says where Debian packages come from. Needed only when a
	// kernel is not cached yet (or to refresh the lock).
	Mirror Mirror
	// Lock pins the kernels (default LoadLock(Root)).
	Lock *Lock
	// Progress receives progress lines; nil is silent.
	Progress Progress
}

// complete checks the required options and fills in the defaults.
func (o *Options) complete() error {
	if o.Root == "" {
		return errors.New("qemu-images: Options.Root (the repository) is required")
	}
	if o.Cache == nil {
		return errors.New("qemu-images: Options.Cache is required")
	}
	if o.Firmware == "" {
		o.Firmware = DefaultFirmware
	}
	if o.Progress == nil {
		o.Progress = silent{}
	}
	if o.Mirror == nil {
		o.Mirror = func(suite string) (string, error) {
			return "", errors.New("qemu-images: a kernel must be downloaded, and Options.Mirror says no Debian mirror")
		}
	}
	if o.Lock == nil {
		l, err := LoadLock(o.Root)
		if err != nil {
			return err
		}
		o.Lock = l
	}
	return nil
}

type silent struct{}

func (silent) Printf(string, ...any) {}
