package qemuimages

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/wasmbed/wasmbed/harness/config"
	"github.com/wasmbed/wasmbed/harness/progress"
)

// TestImageReproducible builds each profile's image content twice, the
// firmware compiled each time, and writes both initramfs archives: the key
// and every byte must be the same, and equal to the image the cache holds.
// It never deletes a cache entry, which another process (a QEMU test, a
// run of the scenarios) may be booting from. It downloads kernels on a
// cold cache, so it runs with the QEMU tests (WASMBED_QEMU_TESTS=1, which
// make test sets where QEMU is installed).
func TestImageReproducible(t *testing.T) {
	if !config.FromEnv().QEMUTests {
		t.Skip("needs the Debian kernel packages: set WASMBED_QEMU_TESTS=1 to run (make test sets it where QEMU is installed; make qemu-test always does)")
	}
	ctx := context.Background()
	pr := progress.New(os.Stderr, "qemu-images-test")
	for _, p := range Profiles() {
		t.Run(p.Name, func(t *testing.T) {
			var keys, sums []string
			for i := range 2 {
				img, files, _, err := plan(ctx, p.Name, &Options{Firmware: TestFirmware, Progress: pr})
				if err != nil {
					t.Fatal(err)
				}
				if len(img.Modules) == 0 {
					t.Fatal("no modules for the flash disk")
				}
				var b bytes.Buffer
				if err := WriteInitramfs(&b, files); err != nil {
					t.Fatal(err)
				}
				path := filepath.Join(t.TempDir(), "initramfs.cpio")
				if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
				sum, err := fileSHA256(path)
				if err != nil {
					t.Fatal(err)
				}
				keys, sums = append(keys, img.Key), append(sums, sum)
				t.Logf("%s build %d: kernel %s, modules %v, initramfs sha256 %s", p.Name, i+1, img.KernelRelease, img.Modules, sum)
			}
			if keys[0] != keys[1] || sums[0] != sums[1] {
				t.Fatalf("rebuild differs: key %s vs %s, initramfs %s vs %s", keys[0], keys[1], sums[0], sums[1])
			}
			cached, err := Ensure(ctx, p.Name, Options{Firmware: TestFirmware, Progress: pr})
			if err != nil {
				t.Fatal(err)
			}
			sum, err := fileSHA256(cached.Initramfs)
			if err != nil {
				t.Fatal(err)
			}
			if cached.Key != keys[0] || sum != sums[0] {
				t.Fatalf("the cached image (key %s, initramfs %s) is not what a build gives (%s, %s)", cached.Key, sum, keys[0], sums[0])
			}
		})
	}
}
