package qemuimages

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/wasmbed/wasmbed/firmware/guest"
)

// builderVersion changes whenever the image layout changes, so old cache
// entries are not reused.
const builderVersion = "qemu-images/1"

// Image is a bootable guest: a kernel and an initramfs whose /init is the
// firmware.
type Image struct {
	// Profile is the profile the image is for.
	Profile Profile
	// Dir is the cache entry holding the files.
	Dir string `json:"-"`
	// Kernel and Initramfs are the files for QEMU's -kernel and -initrd.
	Kernel, Initramfs string `json:"-"`
	// KernelRelease is uname -r of the kernel.
	KernelRelease string
	// KernelPackage is the pinned Debian package the kernel comes from.
	KernelPackage LockEntry
	// Firmware is the Go package built as /init.
	Firmware string
	// Modules are the module files in the initramfs, in load order.
	Modules []string
	// Key is the content hash that names the image in the cache.
	Key string
}

// Ensure returns the image of a profile, building it if the cache has no
// image with the same content: same kernel package, same firmware binary,
// same modules, same builder. The firmware is compiled every time (the Go
// build cache makes that quick when nothing changed) because its bytes
// are part of the key.
func Ensure(ctx context.Context, profile string, opts Options) (*Image, error) {
	p, err := LookupProfile(profile)
	if err != nil {
		return nil, err
	}
	if err := opts.complete(); err != nil {
		return nil, err
	}
	pr := opts.Progress

	k, err := EnsureKernel(ctx, p, opts)
	if err != nil {
		return nil, err
	}
	mods, err := ResolveModules(k.ModulesDir, p.Modules)
	if err != nil {
		return nil, err
	}

	tmp, err := os.MkdirTemp("", "wasmbed-firmware-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	fwPath := filepath.Join(tmp, "init")
	if err := BuildFirmware(ctx, opts.Root, opts.Firmware, p.GOARCH, fwPath, pr); err != nil {
		return nil, err
	}
	fw, err := os.ReadFile(fwPath)
	if err != nil {
		return nil, err
	}
	files, list, err := initramfsFiles(k, mods, fw)
	if err != nil {
		return nil, err
	}

	h := sha256.New()
	fmt.Fprintf(h, "%s\n%s\n%s\n%s\n", builderVersion, p.Name, k.Entry.SHA256, p.KernelImage)
	for _, f := range files {
		fmt.Fprintf(h, "%s %o %d\n", f.Path, f.Mode, len(f.Data))
		h.Write(f.Data)
	}
	key := hex.EncodeToString(h.Sum(nil))

	img := &Image{
		Profile: p, KernelRelease: k.Release, KernelPackage: k.Entry, Firmware: opts.Firmware,
		Modules: list, Key: key,
	}
	dir, err := opts.Cache("qemu-images", p.Name+"-"+key[:16], func(dir string) error {
		pr.Printf("building image %s (kernel %s, firmware %s)", p.Name, k.Release, opts.Firmware)
		start := time.Now()
		if err := copyFile(k.Image, filepath.Join(dir, "kernel")); err != nil {
			return err
		}
		f, err := os.Create(filepath.Join(dir, "initramfs.cpio"))
		if err != nil {
			return err
		}
		if err := WriteInitramfs(f, files); err != nil {
			f.Close()
			return err
		}
		if err := f.Close(); err != nil {
			return err
		}
		manifest, _ := json.MarshalIndent(img, "", "  ")
		if err := os.WriteFile(filepath.Join(dir, "image.json"), append(manifest, '\n'), 0o644); err != nil {
			return err
		}
		pr.Printf("image %s built in %s", p.Name, time.Since(start).Round(100*time.Millisecond))
		return nil
	})
	if err != nil {
		return nil, err
	}
	img.Dir = dir
	img.Kernel = filepath.Join(dir, "kernel")
	img.Initramfs = filepath.Join(dir, "initramfs.cpio")
	return img, nil
}

// initramfsFiles lists the initramfs content: /init, the modules and the
// module list the firmware loads them from.
func initramfsFiles(k *Kernel, mods []Module, firmware []byte) ([]File, []string, error) {
	files := []File{{Path: "init", Mode: 0o755, Data: firmware}}
	var list []string
	modRoot := "lib/modules/" + k.Release
	for _, m := range mods {
		data, err := os.ReadFile(filepath.Join(k.ModulesDir, m.RelPath))
		if err != nil {
			return nil, nil, err
		}
		p := modRoot + "/" + filepath.ToSlash(m.RelPath)
		files = append(files, File{Path: p, Mode: 0o644, Data: data})
		list = append(list, "/"+p)
	}
	var listData []byte
	listData = fmt.Appendf(listData, "# Kernel modules for %s, in load order (written by qemu-images).\n", k.Release)
	for _, p := range list {
		listData = fmt.Appendf(listData, "%s\n", p)
	}
	files = append(files, File{Path: guest.ModuleList[1:], Mode: 0o644, Data: listData})
	return files, list, nil
}

// copyFile copies src to dst, hard-linking when it can (both live in the
// cache).
func copyFile(src, dst string) error {
	if err := os.Link(src, dst); err == nil {
		return nil
	}
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
