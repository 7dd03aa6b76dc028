package qemu

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"

	"github.com/wasmbed/wasmbed/harness/cache"
	"github.com/wasmbed/wasmbed/harness/progress"
	qi "github.com/wasmbed/wasmbed/qemu-images"
)

// TestImageReproducible builds each profile's image twice, each time into
// an image cache of its own (the kernels come from the harness's cache),
// the firmware compiled each time: the key and every byte of the
// initramfs must be the same, and the same as the image the harness's
// cache holds. It never deletes a shared cache entry, which another
// process may be booting from. It downloads kernels on a cold cache, so it
// runs with the QEMU tests.
func TestImageReproducible(t *testing.T) {
	requireQEMU(t)
	ctx := context.Background()
	pr := progress.New(os.Stderr, "qemu-images-test")
	for _, p := range qi.Profiles() {
		t.Run(p.Name, func(t *testing.T) {
			o, err := ImageOptions(qi.TestFirmware, pr)
			if err != nil {
				t.Fatal(err)
			}
			var keys, sums []string
			for range 2 {
				private := t.TempDir()
				o.Cache = func(kind, key string, build func(string) error) (string, error) {
					if kind != "qemu-images" {
						return cache.Ensure(kind, key, build)
					}
					dir := filepath.Join(private, key)
					if err := os.Mkdir(dir, 0o755); err != nil {
						return "", err
					}
					return dir, build(dir)
				}
				img, err := qi.Ensure(ctx, p.Name, o)
				if err != nil {
					t.Fatal(err)
				}
				if len(img.Modules) == 0 {
					t.Fatal("no modules for the flash disk")
				}
				keys, sums = append(keys, img.Key), append(sums, fileSum(t, img.Initramfs))
				t.Logf("kernel %s, modules %v, initramfs sha256 %s", img.KernelRelease, img.Modules, sums[len(sums)-1])
			}
			if keys[0] != keys[1] || sums[0] != sums[1] {
				t.Fatalf("rebuild differs: key %s vs %s, initramfs %s vs %s", keys[0], keys[1], sums[0], sums[1])
			}
			shared, err := EnsureImage(ctx, p.Name, qi.TestFirmware, pr)
			if err != nil {
				t.Fatal(err)
			}
			if sum := fileSum(t, shared.Initramfs); shared.Key != keys[0] || sum != sums[0] {
				t.Fatalf("the cached image (key %s, initramfs %s) is not what a build gives (%s, %s)", shared.Key, sum, keys[0], sums[0])
			}
		})
	}
}

func fileSum(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}
