package qemuimages

import (
	"bufio"
	"bytes"
	"debug/elf"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/ulikunitz/xz"

	"github.com/wasmbed/wasmbed/firmware/guest"
)

// Module is a kernel module file to put in the initramfs.
type Module struct {
	Name    string
	RelPath string // relative to the modules directory, e.g. kernel/fs/ext4/ext4.ko.xz
	Depends []string
}

// ResolveModules returns the modules to load for the wanted names, with
// their dependencies, in load order (every module after its dependencies).
// Modules built into the kernel (modules.builtin) are left out. Debian's
// kernel packages ship no modules.dep (depmod runs at install time), so the
// dependencies come from each module's .modinfo section.
func ResolveModules(modulesDir string, wanted []string) ([]Module, error) {
	builtin, err := readBuiltin(filepath.Join(modulesDir, "modules.builtin"))
	if err != nil {
		return nil, err
	}
	files, err := indexModules(modulesDir)
	if err != nil {
		return nil, err
	}
	var order []Module
	state := map[string]int{} // 1 visiting, 2 done
	var visit func(name, neededBy string) error
	visit = func(name, neededBy string) error {
		switch state[name] {
		case 1:
			return fmt.Errorf("qemu-images: module dependency cycle at %s", name)
		case 2:
			return nil
		}
		if builtin[name] {
			state[name] = 2
			return nil
		}
		rel, ok := files[name]
		if !ok {
			return fmt.Errorf("qemu-images: module %s (needed by %s) is neither built into the kernel nor shipped in %s", name, neededBy, modulesDir)
		}
		state[name] = 1
		deps, err := moduleDepends(filepath.Join(modulesDir, rel))
		if err != nil {
			return err
		}
		for _, d := range deps {
			if err := visit(d, name); err != nil {
				return err
			}
		}
		state[name] = 2
		order = append(order, Module{Name: name, RelPath: rel, Depends: deps})
		return nil
	}
	for _, name := range wanted {
		if err := visit(name, "the flash disk"); err != nil {
			return nil, err
		}
	}
	return order, nil
}

func readBuiltin(path string) (map[string]bool, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("qemu-images: %w", err)
	}
	defer f.Close()
	set := map[string]bool{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if line := strings.TrimSpace(sc.Text()); line != "" {
			set[guest.ModuleName(line)] = true
		}
	}
	return set, sc.Err()
}

// indexModules maps module names to their paths under dir/kernel.
func indexModules(dir string) (map[string]string, error) {
	files := map[string]string{}
	err := filepath.WalkDir(filepath.Join(dir, "kernel"), func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.Contains(d.Name(), ".ko") {
			rel, _ := filepath.Rel(dir, p)
			files[guest.ModuleName(d.Name())] = rel
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("qemu-images: index modules: %w", err)
	}
	return files, nil
}

// moduleDepends reads the depends= field of a module's .modinfo.
func moduleDepends(path string) ([]string, error) {
	data, err := readModule(path)
	if err != nil {
		return nil, err
	}
	f, err := elf.NewFile(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("qemu-images: %s: %w", path, err)
	}
	sec := f.Section(".modinfo")
	if sec == nil {
		return nil, fmt.Errorf("qemu-images: %s has no .modinfo section", path)
	}
	info, err := sec.Data()
	if err != nil {
		return nil, err
	}
	for _, kv := range bytes.Split(info, []byte{0}) {
		if v, ok := bytes.CutPrefix(kv, []byte("depends=")); ok {
			var deps []string
			for _, d := range strings.Split(string(v), ",") {
				if d = strings.TrimSpace(d); d != "" {
					deps = append(deps, strings.ReplaceAll(d, "-", "_"))
				}
			}
			return deps, nil
		}
	}
	return nil, nil
}

// readModule returns a module's ELF bytes, decompressing .ko.xz.
func readModule(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var r io.Reader = f
	switch {
	case strings.HasSuffix(path, ".ko"):
	case strings.HasSuffix(path, ".ko.xz"):
		xr, err := xz.NewReader(f)
		if err != nil {
			return nil, fmt.Errorf("qemu-images: %s: %w", path, err)
		}
		r = xr
	default:
		return nil, fmt.Errorf("qemu-images: %s: unsupported module compression", path)
	}
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("qemu-images: read %s: %w", path, err)
	}
	return data, nil
}
