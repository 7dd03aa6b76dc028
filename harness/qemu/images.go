package qemu

import (
	"context"

	"github.com/wasmbed/wasmbed/harness/aptsources"
	"github.com/wasmbed/wasmbed/harness/cache"
	"github.com/wasmbed/wasmbed/harness/config"
	"github.com/wasmbed/wasmbed/harness/workspace"
	qi "github.com/wasmbed/wasmbed/qemu-images"
)

// ImageOptions are qemu-images' options as this harness runs it: the
// repository it works in, its cache, the Debian mirror (WASMBED_DEBIAN_*
// or else the machine's apt sources, read only if a kernel must be
// downloaded) and the given progress sink. qemu-images is a tool below the
// harness and finds none of these itself.
func ImageOptions(firmware string, pr qi.Progress) (qi.Options, error) {
	root, err := workspace.Root()
	if err != nil {
		return qi.Options{}, err
	}
	cfg := config.FromEnv()
	mirror := func(suite string) (string, error) {
		m, err := aptsources.Machine(cfg.DebianMirror, cfg.DebianSecurityMirror)
		if err != nil {
			return "", err
		}
		return m.URI(suite)
	}
	return qi.Options{Firmware: firmware, Root: root, Cache: cache.Ensure, Mirror: mirror, Progress: pr}, nil
}

// EnsureImage returns the image of a profile with ImageOptions, building
// it if the cache has none with the same content.
func EnsureImage(ctx context.Context, profile, firmware string, pr qi.Progress) (*qi.Image, error) {
	o, err := ImageOptions(firmware, pr)
	if err != nil {
		return nil, err
	}
	return qi.Ensure(ctx, profile, o)
}
