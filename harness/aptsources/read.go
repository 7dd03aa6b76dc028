package aptsources

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

// Dir is apt's configuration directory.
const Dir = "/etc/apt"

// partName is what apt accepts as a file name in sources.list.d; it
// ignores the others (backups, "*.disabled", dpkg leftovers).
var partName = regexp.MustCompile(`^[A-Za-z0-9_.-]+\.(list|sources)$`)

// Read returns the enabled entries of the apt configuration under dir, in
// apt's order: sources.list, then sources.list.d's *.list and *.sources
// files by name. A missing file or directory is no error; a file that does
// not parse is.
func Read(dir string) ([]Entry, error) {
	var out []Entry
	list := filepath.Join(dir, "sources.list")
	if es, err := readFile(list); err != nil {
		return nil, err
	} else {
		out = append(out, es...)
	}
	parts, err := os.ReadDir(filepath.Join(dir, "sources.list.d"))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	sort.Slice(parts, func(i, j int) bool { return parts[i].Name() < parts[j].Name() })
	for _, p := range parts {
		if p.IsDir() || !partName.MatchString(p.Name()) {
			continue
		}
		es, err := readFile(filepath.Join(dir, "sources.list.d", p.Name()))
		if err != nil {
			return nil, err
		}
		out = append(out, es...)
	}
	return out, nil
}

func readFile(path string) ([]Entry, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if strings.HasSuffix(path, ".sources") {
		return ParseDeb822(path, f)
	}
	return ParseList(path, f)
}

// Release returns the machine's Debian release (VERSION_CODENAME in
// os-release), or "" if it says none.
func Release(osRelease string) string {
	b, err := os.ReadFile(osRelease)
	if err != nil {
		return ""
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VERSION_CODENAME="); ok {
			return strings.Trim(strings.TrimSpace(v), `"'`)
		}
	}
	return ""
}
