package guest

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path"
	"strings"

	"golang.org/x/sys/unix"
)

// ModuleList is the file, written by the image builder, that lists the
// initramfs's kernel modules one path per line, in an order where every
// module comes after the modules it depends on. A guest kernel package
// ships no modules.dep (depmod runs at install time), so the builder
// resolves dependencies from each module's modinfo instead.
const ModuleList = "/lib/modules/wasmbed.load"

// ModuleName is the kernel's name for a module file: the base name without
// .ko and any compression suffix, with '-' as '_'.
func ModuleName(file string) string {
	base := path.Base(file)
	if i := strings.Index(base, ".ko"); i >= 0 {
		base = base[:i]
	}
	return strings.ReplaceAll(base, "-", "_")
}

// ReadModuleList reads a module list file (see ModuleList). Blank lines
// and lines starting with '#' are skipped.
func ReadModuleList(file string) ([]string, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var mods []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line != "" && !strings.HasPrefix(line, "#") {
			mods = append(mods, line)
		}
	}
	return mods, sc.Err()
}

// LoadModules loads the given module files in order with finit_module.
// Compressed modules (.ko.xz, .ko.zst, .ko.gz) are handed to the kernel to
// decompress (MODULE_INIT_COMPRESSED_FILE). A module that is already
// loaded is not an error. params holds options by module name (see
// Config.ModuleParams). It returns the names of the modules it loaded.
func LoadModules(files []string, params map[string]string) ([]string, error) {
	var loaded []string
	for _, file := range files {
		name := ModuleName(file)
		if err := loadModule(file, params[name]); err != nil {
			if errors.Is(err, unix.EEXIST) {
				continue
			}
			return loaded, fmt.Errorf("guest: load module %s: %w", file, err)
		}
		loaded = append(loaded, name)
	}
	return loaded, nil
}

func loadModule(file, params string) error {
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	flags := 0
	for _, ext := range []string{".xz", ".zst", ".gz"} {
		if strings.HasSuffix(file, ext) {
			flags |= unix.MODULE_INIT_COMPRESSED_FILE
		}
	}
	err = unix.FinitModule(int(f.Fd()), params, flags)
	if errors.Is(err, unix.EINVAL) && flags != 0 {
		return fmt.Errorf("%w (does this kernel decompress modules in-kernel? CONFIG_MODULE_DECOMPRESS)", err)
	}
	return err
}
