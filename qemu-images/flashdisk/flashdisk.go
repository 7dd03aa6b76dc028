// Package flashdisk makes and inspects the disk images that are a QEMU
// device's flash: ext4 filesystems the guest mounts at /flash.
//
// ext4 on a virtio disk was chosen over a custom flash format because the
// firmware's flash.Dir already gets its power-cut guarantees from a POSIX
// filesystem (write to a temporary file, fsync, rename, fsync the
// directory), and ext4's journal makes those guarantees hold across a
// SIGKILL of QEMU. The host side needs no guest: mkfs.ext4 -d writes the
// factory provisioning files into a fresh image, and debugfs reads files
// back for assertions, both from e2fsprogs and without mounting anything.
//
// Every function here works on an image QEMU is not running; reading a
// live image is allowed (ReadFile works on a private snapshot) but shows
// only what the guest has written back so far.
package flashdisk

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/wasmbed/wasmbed/firmware/flash"
)

// DefaultSizeMiB is the flash size when Options.SizeMiB is zero: room for
// identity files and a handful of Wasm apps.
const DefaultSizeMiB = 32

// Label is the filesystem label of every flash image.
const Label = "wasmbed-flash"

// Options describe a new flash image.
type Options struct {
	// SizeMiB is the image size (default DefaultSizeMiB).
	SizeMiB int
	// Files are written into the image, by flash path (e.g.
	// flash.ProvisionCA), as the factory would.
	Files map[string][]byte
}

// Provisioning returns the factory files for a device: the CA bundle it
// trusts before enrolment and its one-time enrolment token (either may be
// empty to leave it out).
func Provisioning(caPEM []byte, token string) map[string][]byte {
	files := map[string][]byte{}
	if len(caPEM) > 0 {
		files[flash.ProvisionCA] = caPEM
	}
	if token != "" {
		files[flash.ProvisionToken] = []byte(token)
	}
	return files
}

func tool(name string) (string, error) {
	for _, dir := range []string{"", "/usr/sbin", "/sbin"} {
		p := name
		if dir != "" {
			p = filepath.Join(dir, name)
		}
		if found, err := exec.LookPath(p); err == nil {
			return found, nil
		}
	}
	return "", fmt.Errorf("flashdisk: %s not found: install e2fsprogs (`make deps`)", name)
}

func run(ctx context.Context, name string, args ...string) ([]byte, error) {
	p, err := tool(name)
	if err != nil {
		return nil, err
	}
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, p, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	if err != nil {
		return stdout.Bytes(), &toolError{cmd: name + " " + strings.Join(args, " "), err: err, stderr: strings.TrimSpace(stderr.String())}
	}
	return stdout.Bytes(), nil
}

type toolError struct {
	cmd, stderr string
	err         error
}

func (e *toolError) Error() string {
	return fmt.Sprintf("flashdisk: %s: %v: %s", e.cmd, e.err, e.stderr)
}
func (e *toolError) Unwrap() error { return e.err }

// Create writes a fresh flash image at path (replacing any file there)
// holding opts.Files.
func Create(ctx context.Context, path string, opts Options) error {
	size := opts.SizeMiB
	if size == 0 {
		size = DefaultSizeMiB
	}
	if size < 8 {
		return fmt.Errorf("flashdisk: %d MiB is too small for ext4 with a journal; use at least 8", size)
	}
	stage, err := os.MkdirTemp("", "wasmbed-flash-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(stage)
	for name, data := range opts.Files {
		p, err := stagePath(stage, name)
		if err != nil {
			return err
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			return err
		}
		if err := os.WriteFile(p, data, 0o600); err != nil {
			return err
		}
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	// 1 KiB blocks and a small journal suit a small flash; root_owner
	// makes the root directory root's whoever builds the image.
	_, err = run(ctx, "mkfs.ext4", "-q", "-F", "-L", Label, "-b", "1024", "-J", "size=1",
		"-E", "root_owner=0:0", "-d", stage, path, fmt.Sprintf("%dM", size))
	return err
}

func stagePath(stage, name string) (string, error) {
	clean := path.Clean("/" + name)
	if clean == "/" || strings.Contains(name, "\x00") {
		return "", fmt.Errorf("flashdisk: bad flash path %q", name)
	}
	return filepath.Join(stage, filepath.FromSlash(clean)), nil
}

// Wipe is a factory reset: the image is recreated with only its
// provisioning files (everything under provision/), at the same size.
func Wipe(ctx context.Context, path string) error {
	st, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("flashdisk: wipe: %w", err)
	}
	snap, err := snapshot(ctx, path)
	if err != nil {
		return err
	}
	defer os.Remove(snap)
	files := map[string][]byte{}
	names, err := list(ctx, snap, "provision")
	if err != nil {
		return err
	}
	for _, n := range names {
		data, err := readFile(ctx, snap, "provision/"+n)
		if err != nil {
			return err
		}
		files["provision/"+n] = data
	}
	return Create(ctx, path, Options{SizeMiB: int(st.Size() >> 20), Files: files})
}

// ReadFile returns a file of the image, or an error wrapping
// fs.ErrNotExist. It reads a private copy whose journal has been replayed,
// so after a power cut it sees what the guest would see at the next mount;
// the image itself is never modified.
func ReadFile(ctx context.Context, path, name string) ([]byte, error) {
	snap, err := snapshot(ctx, path)
	if err != nil {
		return nil, err
	}
	defer os.Remove(snap)
	return readFile(ctx, snap, name)
}

// List returns the names of the regular files directly under dir in the
// image (like flash.Store.List: sorted, no dot files), or nil if dir does
// not exist.
func List(ctx context.Context, path, dir string) ([]string, error) {
	snap, err := snapshot(ctx, path)
	if err != nil {
		return nil, err
	}
	defer os.Remove(snap)
	return list(ctx, snap, dir)
}

// snapshot copies the image and replays its journal on the copy.
func snapshot(ctx context.Context, path string) (string, error) {
	in, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("flashdisk: %w", err)
	}
	defer in.Close()
	out, err := os.CreateTemp("", "wasmbed-flash-snap-*.img")
	if err != nil {
		return "", err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		os.Remove(out.Name())
		return "", err
	}
	if err := out.Close(); err != nil {
		os.Remove(out.Name())
		return "", err
	}
	// e2fsck exits 1 when it fixed something (here: replayed the journal).
	if _, err := run(ctx, "e2fsck", "-p", "-E", "journal_only", out.Name()); err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() > 1 {
			os.Remove(out.Name())
			return "", fmt.Errorf("flashdisk: %s is not a readable ext4 image: %w", path, err)
		}
	}
	return out.Name(), nil
}

func readFile(ctx context.Context, img, name string) ([]byte, error) {
	clean := path.Clean("/" + name)
	dst, err := os.CreateTemp("", "wasmbed-flash-file-")
	if err != nil {
		return nil, err
	}
	dst.Close()
	os.Remove(dst.Name()) // debugfs dump creates it only if the file exists
	defer os.Remove(dst.Name())
	if _, err := run(ctx, "debugfs", "-R", fmt.Sprintf("dump %q %q", clean, dst.Name()), img); err != nil {
		return nil, err
	}
	data, err := os.ReadFile(dst.Name())
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("flashdisk: %s: %w", clean, fs.ErrNotExist)
	}
	return data, err
}

func list(ctx context.Context, img, dir string) ([]string, error) {
	clean := path.Clean("/" + dir)
	// ls -p prints one entry per line: /inode/mode/uid/gid/name/size/
	out, err := run(ctx, "debugfs", "-R", fmt.Sprintf("ls -p %q", clean), img)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Split(strings.TrimSpace(line), "/")
		if len(f) < 7 || f[5] == "" {
			continue
		}
		mode, name := f[2], f[5]
		if !strings.HasPrefix(mode, "10") || strings.HasPrefix(name, ".") { // 10xxxx: regular file
			continue
		}
		names = append(names, name)
	}
	sort.Strings(names)
	return names, nil
}
