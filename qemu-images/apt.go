package qemuimages

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"time"
)

// apt fetches packages of a foreign architecture and release with the
// host's apt, without touching the host's package state: its sources,
// lists and caches live in a directory of its own (dir), which the caller
// owns and removes.
type apt struct {
	dist, arch string
	dir        string
	pr         Progress
}

// newApt prepares apt's state in dir for dist/arch: the release, its
// -updates and its -security pockets, each from the archive mirror names.
func newApt(dist, arch, dir string, mirror Mirror, pr Progress) (*apt, error) {
	if _, err := exec.LookPath("apt-get"); err != nil {
		return nil, fmt.Errorf("qemu-images: apt-get not found: kernels are fetched from Debian with apt (run on Debian, or run `make deps`)")
	}
	for _, sub := range []string{"lists/partial", "cache/archives/partial", "sources"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o755); err != nil {
			return nil, err
		}
	}
	var sources strings.Builder
	for _, suite := range []string{dist, dist + "-updates", dist + "-security"} {
		uri, err := mirror(suite)
		if err != nil {
			return nil, fmt.Errorf("qemu-images: %w", err)
		}
		fmt.Fprintf(&sources, "Types: deb\nURIs: %s\nSuites: %s\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n\n", uri, suite)
	}
	if err := os.WriteFile(filepath.Join(dir, "sources", "debian.sources"), []byte(sources.String()), 0o644); err != nil {
		return nil, err
	}
	return &apt{dist: dist, arch: arch, dir: dir, pr: pr}, nil
}

func (a *apt) options() []string {
	return []string{
		"-oAPT::Architecture=" + a.arch,
		"-oAPT::Architectures=" + a.arch,
		"-oDir::State::Lists=" + filepath.Join(a.dir, "lists"),
		"-oDir::State::status=/dev/null",
		"-oDir::Cache=" + filepath.Join(a.dir, "cache"),
		"-oDir::Etc::SourceList=/dev/null",
		"-oDir::Etc::SourceParts=" + filepath.Join(a.dir, "sources"),
		"-oAPT::Sandbox::User=root",
	}
}

// run runs an apt tool in dir and returns its standard output; errors
// carry its standard error.
func (a *apt) run(ctx context.Context, dir, tool string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, tool, append(a.options(), args...)...)
	cmd.Dir = dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.Bytes(), fmt.Errorf("%s %s: %v\n%s", tool, strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return stdout.Bytes(), nil
}

// update fetches the package lists.
func (a *apt) update(ctx context.Context) error {
	a.pr.Printf("updating Debian package lists for %s/%s", a.dist, a.arch)
	start := time.Now()
	if _, err := a.run(ctx, a.dir, "apt-get", "update", "-q"); err != nil {
		// A pocket caught mid-sync (or without this architecture) fails the
		// update as a whole; the release's main lists are enough to find a
		// pinned package, so go on with a warning if we have them.
		main, _ := filepath.Glob(filepath.Join(a.dir, "lists", "*_dists_"+a.dist+"_main_binary-"+a.arch+"_Packages*"))
		if len(main) == 0 || ctx.Err() != nil {
			return fmt.Errorf("qemu-images: %w\n(is the Debian mirror reachable? It comes from the machine's apt sources, or WASMBED_DEBIAN_MIRROR)", err)
		}
		a.pr.Printf("warning: some %s/%s package lists failed to update; using those that did:\n%s", a.dist, a.arch, err)
	}
	a.pr.Printf("package lists for %s/%s updated in %s", a.dist, a.arch, time.Since(start).Round(100*time.Millisecond))
	return nil
}

// show returns the fields of the candidate version of pkg (or pkg=version).
func (a *apt) show(ctx context.Context, pkg string) (map[string]string, error) {
	out, err := a.run(ctx, a.dir, "apt-cache", "show", "--no-all-versions", pkg)
	if err != nil {
		return nil, fmt.Errorf("qemu-images: %w", err)
	}
	fields := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" {
			break // first stanza only
		}
		if k, v, ok := strings.Cut(line, ": "); ok && !strings.HasPrefix(line, " ") {
			fields[k] = v
		}
	}
	return fields, sc.Err()
}

var exactDep = regexp.MustCompile(`^(linux-image-\S+) \(= (\S+)\)`)

// resolve finds the kernel package the meta-package currently depends on.
func (a *apt) resolve(ctx context.Context, p Profile) (LockEntry, error) {
	meta, err := a.show(ctx, p.KernelMeta)
	if err != nil {
		return LockEntry{}, err
	}
	var pkg, version string
	for _, dep := range strings.Split(meta["Depends"], ",") {
		if m := exactDep.FindStringSubmatch(strings.TrimSpace(dep)); m != nil {
			pkg, version = m[1], m[2]
			break
		}
	}
	if pkg == "" {
		return LockEntry{}, fmt.Errorf("qemu-images: %s (%s/%s) does not depend on an exact linux-image package: Depends: %q", p.KernelMeta, a.dist, a.arch, meta["Depends"])
	}
	f, err := a.show(ctx, pkg+"="+version)
	if err != nil {
		return LockEntry{}, err
	}
	if !sha256Re.MatchString(f["SHA256"]) {
		return LockEntry{}, fmt.Errorf("qemu-images: no SHA256 for %s=%s", pkg, version)
	}
	return LockEntry{Profile: p.Name, Dist: a.dist, Arch: a.arch, Package: pkg, Version: version, SHA256: f["SHA256"]}, nil
}

// download fetches the pinned package into dir and returns its path.
func (a *apt) download(ctx context.Context, e LockEntry, dir string) (string, error) {
	a.pr.Printf("downloading %s %s (%s)", e.Package, e.Version, e.Arch)
	start := time.Now()
	if _, err := a.run(ctx, dir, "apt-get", "download", "-q", e.Package+"="+e.Version); err != nil {
		return "", fmt.Errorf("qemu-images: %w\nThe kernel pinned in %s may have left the Debian mirror (Debian keeps only the newest build): run `make qemu-images-lock` to pin the current one, and commit the lock", err, LockFile)
	}
	matches, _ := filepath.Glob(filepath.Join(dir, "*.deb"))
	if len(matches) != 1 {
		return "", fmt.Errorf("qemu-images: apt-get download left %d .deb files in %s", len(matches), dir)
	}
	st, err := os.Stat(matches[0])
	if err != nil {
		return "", err
	}
	a.pr.Printf("downloaded %s (%.1f MB) in %s", filepath.Base(matches[0]), float64(st.Size())/1e6, time.Since(start).Round(100*time.Millisecond))
	return matches[0], nil
}
