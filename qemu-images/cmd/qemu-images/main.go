// Command qemu-images builds the QEMU guest images into the harness cache
// (`make qemu-images`) and refreshes the kernel lock
// (`make qemu-images-lock`).
//
//	qemu-images [-profile arm64-virt,riscv64-virt] [-firmware ./firmware/cmd/device]
//	qemu-images -refresh-lock [-profile ...]
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/wasmbed/wasmbed/harness/progress"
	"github.com/wasmbed/wasmbed/harness/workspace"
	qi "github.com/wasmbed/wasmbed/qemu-images"
)

func main() {
	profilesFlag := flag.String("profile", strings.Join(qi.ProfileNames(), ","), "comma-separated profiles")
	firmware := flag.String("firmware", qi.DefaultFirmware, "Go main package built as the guest's /init")
	refresh := flag.Bool("refresh-lock", false, "resolve the newest kernel packages, rewrite "+qi.LockFile+", and exit")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	pr := progress.Stderr("qemu-images")
	names := strings.Split(*profilesFlag, ",")
	if err := run(ctx, pr, names, *firmware, *refresh); err != nil {
		fmt.Fprintln(os.Stderr, "qemu-images:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, pr *progress.Printer, names []string, firmware string, refresh bool) error {
	if refresh {
		old, _ := qi.LoadLock()
		l, err := qi.RefreshLock(ctx, names, old, pr)
		if err != nil {
			return err
		}
		if err := qi.WriteLock(l); err != nil {
			return err
		}
		pr.Printf("wrote %s; commit it", qi.LockFile)
		return nil
	}
	if firmware == qi.DefaultFirmware {
		root, err := workspace.Root()
		if err != nil {
			return err
		}
		if _, err := os.Stat(filepath.Join(root, firmware)); err != nil {
			pr.Printf("%s does not exist yet: building the boot-test init %s instead", firmware, qi.TestFirmware)
			firmware = qi.TestFirmware
		}
	}
	for _, name := range names {
		img, err := qi.Ensure(ctx, name, qi.Options{Firmware: firmware, Progress: pr})
		if err != nil {
			return err
		}
		st, _ := os.Stat(img.Initramfs)
		var size int64
		if st != nil {
			size = st.Size()
		}
		fmt.Printf("%-15s kernel %-28s initramfs %5.1f MB  modules %d  %s\n",
			name, img.KernelRelease, float64(size)/1e6, len(img.Modules), img.Dir)
	}
	return nil
}
