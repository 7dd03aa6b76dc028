package qemuimages

import (
	"bufio"
	_ "embed"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

// LockFile is the lock file's path relative to the repository root.
const LockFile = "qemu-images/kernels.lock"

//go:embed kernels.lock
var embeddedLock string

// LockEntry pins the kernel package of one profile.
type LockEntry struct {
	Profile string
	Dist    string
	Arch    string
	Package string
	Version string
	// SHA256 is the digest of the .deb; a download that differs is
	// rejected, and it keys the kernel cache.
	SHA256 string
}

// Lock is the parsed lock file.
type Lock struct {
	Entries map[string]LockEntry // by profile
}

// Entry returns the pin of a profile, or an error telling how to add one.
func (l *Lock) Entry(profile string) (LockEntry, error) {
	e, ok := l.Entries[profile]
	if !ok {
		return LockEntry{}, fmt.Errorf("qemu-images: no kernel pinned for profile %s in %s; run `make qemu-images-lock` and commit the file", profile, LockFile)
	}
	return e, nil
}

var sha256Re = regexp.MustCompile(`^[0-9a-f]{64}$`)

// ParseLock reads a lock file: one line per profile with the fields
// profile, dist, arch, package, version, sha256, separated by white space;
// '#' starts a comment.
func ParseLock(r io.Reader) (*Lock, error) {
	l := &Lock{Entries: map[string]LockEntry{}}
	sc := bufio.NewScanner(r)
	n := 0
	for sc.Scan() {
		n++
		line := sc.Text()
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		if len(f) != 6 {
			return nil, fmt.Errorf("qemu-images: lock line %d: %d fields, want 6 (profile dist arch package version sha256)", n, len(f))
		}
		e := LockEntry{Profile: f[0], Dist: f[1], Arch: f[2], Package: f[3], Version: f[4], SHA256: f[5]}
		if !sha256Re.MatchString(e.SHA256) {
			return nil, fmt.Errorf("qemu-images: lock line %d: %q is not a sha256", n, e.SHA256)
		}
		if _, dup := l.Entries[e.Profile]; dup {
			return nil, fmt.Errorf("qemu-images: lock line %d: profile %s pinned twice", n, e.Profile)
		}
		if p, err := LookupProfile(e.Profile); err != nil {
			return nil, fmt.Errorf("qemu-images: lock line %d: %w", n, err)
		} else if p.DebArch != e.Arch || p.Dist != e.Dist {
			return nil, fmt.Errorf("qemu-images: lock line %d: profile %s is %s/%s, lock says %s/%s", n, e.Profile, p.Dist, p.DebArch, e.Dist, e.Arch)
		}
		l.Entries[e.Profile] = e
	}
	return l, sc.Err()
}

// Format writes the lock in its file format, sorted by profile.
func (l *Lock) Format(w io.Writer) error {
	var names []string
	for n := range l.Entries {
		names = append(names, n)
	}
	sort.Strings(names)
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "# Debian kernel packages the QEMU guest images boot, one per profile.\n")
	fmt.Fprintf(bw, "# Written by `make qemu-images-lock` (harness qemu-images -refresh-lock);\n")
	fmt.Fprintf(bw, "# commit it. The sha256 is the .deb's; it also keys the kernel cache.\n")
	fmt.Fprintf(bw, "#\n# profile\tdist\tarch\tpackage\tversion\tsha256\n")
	for _, n := range names {
		e := l.Entries[n]
		fmt.Fprintf(bw, "%s\t%s\t%s\t%s\t%s\t%s\n", e.Profile, e.Dist, e.Arch, e.Package, e.Version, e.SHA256)
	}
	return bw.Flush()
}

// LoadLock returns the lock: the file in the repository root (so an edited
// lock takes effect without a rebuild), else the copy embedded at build
// time.
func LoadLock(root string) (*Lock, error) {
	if root != "" {
		f, err := os.Open(filepath.Join(root, LockFile))
		if err == nil {
			defer f.Close()
			return ParseLock(f)
		}
	}
	return ParseLock(strings.NewReader(embeddedLock))
}

// WriteLock writes l to the lock file of the repository in root.
func WriteLock(root string, l *Lock) error {
	path := filepath.Join(root, LockFile)
	tmp := path + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	if err := l.Format(f); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
