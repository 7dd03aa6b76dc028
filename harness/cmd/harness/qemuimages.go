package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/wasmbed/wasmbed/harness/progress"
	"github.com/wasmbed/wasmbed/harness/qemu"
	qi "github.com/wasmbed/wasmbed/qemu-images"
)

func qemuImagesCommand() *cobra.Command {
	var (
		profiles, firmware string
		refresh            bool
	)
	cmd := &cobra.Command{
		Use:   "qemu-images",
		Short: "Build the QEMU guest images (Debian kernel + firmware initramfs), cached by content",
		Long: `Build one bootable image per QEMU profile with qemu-images: the kernel
pinned in ` + qi.LockFile + `, fetched from the machine's Debian mirror
(WASMBED_DEBIAN_MIRROR overrides it), and an initramfs whose /init is the
firmware. Images are cached by content; an unchanged tree builds nothing.
--refresh-lock pins the newest kernel of each profile instead, and rewrites
the lock file for you to commit.`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			start := time.Now()
			pr := progress.Stderr("qemu-images")
			names := strings.Split(profiles, ",")
			o, err := qemu.ImageOptions(firmware, pr)
			if err != nil {
				return err
			}
			if refresh {
				old, _ := qi.LoadLock(o.Root)
				l, err := qi.RefreshLock(cmd.Context(), names, old, o)
				if err != nil {
					return err
				}
				if err := qi.WriteLock(o.Root, l); err != nil {
					return err
				}
				pr.Printf("wrote %s; commit it", qi.LockFile)
				return nil
			}
			if o.Firmware == qi.DefaultFirmware {
				if _, err := os.Stat(filepath.Join(o.Root, o.Firmware)); err != nil {
					pr.Printf("%s does not exist: building the boot-test init %s instead", o.Firmware, qi.TestFirmware)
					o.Firmware = qi.TestFirmware
				}
			}
			for _, name := range names {
				img, err := qi.Ensure(cmd.Context(), name, o)
				if err != nil {
					return err
				}
				var size int64
				if st, err := os.Stat(img.Initramfs); err == nil {
					size = st.Size()
				}
				fmt.Printf("%-15s kernel %-28s initramfs %5.1f MB  modules %d  %s\n",
					name, img.KernelRelease, float64(size)/1e6, len(img.Modules), img.Dir)
			}
			fmt.Printf("images ready in %s\n", time.Since(start).Round(time.Millisecond))
			return nil
		},
	}
	cmd.Flags().StringVar(&profiles, "profile", strings.Join(qi.ProfileNames(), ","), "comma-separated QEMU profiles")
	cmd.Flags().StringVar(&firmware, "firmware", qi.DefaultFirmware, "Go main package built as the guest's /init")
	cmd.Flags().BoolVar(&refresh, "refresh-lock", false, "resolve the newest kernel packages, rewrite "+qi.LockFile+", and exit")
	return cmd
}
