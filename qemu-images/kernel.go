package qemuimages

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// Kernel is an unpacked kernel package in the cache.
type Kernel struct {
	// Entry is the pinned package.
	Entry LockEntry
	// Root is where the package was unpacked (dpkg -x).
	Root string
	// Release is the kernel release, as uname -r prints it.
	Release string
	// Image is the kernel file QEMU loads with -kernel.
	Image string
	// ModulesDir is lib/modules/<release> inside Root.
	ModulesDir string
}

// EnsureKernel returns the unpacked kernel package of a profile as pinned
// in o.Lock, downloading and unpacking it on first use. The cache is keyed
// by the package's sha256, so a cached kernel needs no network at all.
func EnsureKernel(ctx context.Context, p Profile, o Options) (*Kernel, error) {
	if err := o.complete(); err != nil {
		return nil, err
	}
	e, err := o.Lock.Entry(p.Name)
	if err != nil {
		return nil, err
	}
	key := e.Package + "_" + e.Version + "_" + e.Arch + "-" + e.SHA256[:16]
	dir, err := o.Cache("qemu-kernels", key, func(dir string) error {
		return fetchKernel(ctx, p, e, dir, o)
	})
	if err != nil {
		return nil, err
	}
	return openKernel(p, e, dir)
}

// fetchKernel downloads and unpacks a pinned kernel package into dir,
// with apt's lists and downloads in dir too, removed once unpacked.
func fetchKernel(ctx context.Context, p Profile, e LockEntry, dir string, o Options) error {
	pr := o.Progress
	if _, err := exec.LookPath("dpkg-deb"); err != nil {
		return fmt.Errorf("qemu-images: dpkg-deb not found; it unpacks the kernel package (install dpkg)")
	}
	aptDir := filepath.Join(dir, "apt")
	defer os.RemoveAll(aptDir)
	a, err := newApt(e.Dist, e.Arch, aptDir, o.Mirror, pr)
	if err != nil {
		return err
	}
	if err := a.update(ctx); err != nil {
		return err
	}
	dl := filepath.Join(dir, "download")
	if err := os.MkdirAll(dl, 0o755); err != nil {
		return err
	}
	deb, err := a.download(ctx, e, dl)
	if err != nil {
		return err
	}
	sum, err := fileSHA256(deb)
	if err != nil {
		return err
	}
	if sum != e.SHA256 {
		return fmt.Errorf("qemu-images: %s has sha256 %s, but %s pins %s; refusing it", filepath.Base(deb), sum, LockFile, e.SHA256)
	}
	pr.Printf("unpacking %s", filepath.Base(deb))
	start := time.Now()
	out, err := exec.CommandContext(ctx, "dpkg-deb", "-x", deb, filepath.Join(dir, "root")).CombinedOutput()
	if err != nil {
		return fmt.Errorf("qemu-images: dpkg-deb -x %s: %v\n%s", deb, err, out)
	}
	pr.Printf("unpacked in %s", time.Since(start).Round(100*time.Millisecond))
	if _, err := openKernel(p, e, dir); err != nil {
		return err
	}
	return os.RemoveAll(dl)
}

func openKernel(p Profile, e LockEntry, dir string) (*Kernel, error) {
	root := filepath.Join(dir, "root")
	var modDir string
	for _, base := range []string{"lib/modules", "usr/lib/modules"} {
		entries, _ := os.ReadDir(filepath.Join(root, base))
		if len(entries) == 1 && entries[0].IsDir() {
			modDir = filepath.Join(root, base, entries[0].Name())
		}
	}
	if modDir == "" {
		return nil, fmt.Errorf("qemu-images: %s has no single lib/modules/<release> directory", e.Package)
	}
	release := filepath.Base(modDir)
	image := filepath.Join(root, fmt.Sprintf(p.KernelImage, release))
	if _, err := os.Stat(image); err != nil {
		return nil, fmt.Errorf("qemu-images: %s ships no %s: %w", e.Package, fmt.Sprintf(p.KernelImage, release), err)
	}
	return &Kernel{Entry: e, Root: root, Release: release, Image: image, ModulesDir: modDir}, nil
}

func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// RefreshLock resolves, for each profile, the kernel package its
// meta-package depends on today, and returns the new lock. It asks
// o.Mirror for the archive and reports to o.Progress; apt's lists go to a
// temporary directory.
func RefreshLock(ctx context.Context, names []string, old *Lock, o Options) (*Lock, error) {
	pr := o.Progress
	if pr == nil {
		pr = silent{}
	}
	if o.Mirror == nil {
		return nil, fmt.Errorf("qemu-images: refreshing the lock needs Options.Mirror")
	}
	tmp, err := os.MkdirTemp("", "wasmbed-qemu-apt-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	l := &Lock{Entries: map[string]LockEntry{}}
	if old != nil {
		for k, v := range old.Entries {
			l.Entries[k] = v
		}
	}
	for _, name := range names {
		p, err := LookupProfile(name)
		if err != nil {
			return nil, err
		}
		a, err := newApt(p.Dist, p.DebArch, filepath.Join(tmp, p.Dist+"-"+p.DebArch), o.Mirror, pr)
		if err != nil {
			return nil, err
		}
		if err := a.update(ctx); err != nil {
			return nil, err
		}
		e, err := a.resolve(ctx, p)
		if err != nil {
			return nil, err
		}
		if prev, ok := l.Entries[name]; ok && prev != e {
			pr.Printf("%s: %s %s -> %s %s", name, prev.Package, prev.Version, e.Package, e.Version)
		} else {
			pr.Printf("%s: %s %s", name, e.Package, strings.TrimSpace(e.Version))
		}
		l.Entries[name] = e
	}
	return l, nil
}
