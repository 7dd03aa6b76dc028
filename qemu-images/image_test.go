package qemuimages

import (
	"context"
	"os"
	"testing"

	"github.com/wasmbed/wasmbed/harness/config"

	"github.com/wasmbed/wasmbed/harness/progress"
)

// TestImageReproducible builds an image, deletes it from the cache and
// builds it again: the cache key and every byte of the initramfs must be
// the same. It downloads kernels on a cold cache, so it runs with the
// QEMU tests (WASMBED_QEMU_TESTS=1, make qemu-test).
func TestImageReproducible(t *testing.T) {
	if !config.FromEnv().QEMUTests {
		t.Skip("needs the Debian kernel packages: set WASMBED_QEMU_TESTS=1 to run (make test sets it where QEMU is installed; make qemu-test always does)")
	}
	ctx := context.Background()
	pr := progress.New(os.Stderr, "qemu-images-test")
	for _, p := range Profiles() {
		t.Run(p.Name, func(t *testing.T) {
			first, err := Ensure(ctx, p.Name, Options{Firmware: TestFirmware, Progress: pr})
			if err != nil {
				t.Fatal(err)
			}
			sum1, err := fileSHA256(first.Initramfs)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.RemoveAll(first.Dir); err != nil {
				t.Fatal(err)
			}
			second, err := Ensure(ctx, p.Name, Options{Firmware: TestFirmware, Progress: pr})
			if err != nil {
				t.Fatal(err)
			}
			sum2, err := fileSHA256(second.Initramfs)
			if err != nil {
				t.Fatal(err)
			}
			if first.Key != second.Key || sum1 != sum2 {
				t.Fatalf("rebuild differs: key %s vs %s, initramfs %s vs %s", first.Key, second.Key, sum1, sum2)
			}
			if len(first.Modules) == 0 {
				t.Fatal("no modules for the flash disk")
			}
			t.Logf("%s: kernel %s, modules %v, initramfs sha256 %s", p.Name, first.KernelRelease, first.Modules, sum1)
		})
	}
}
