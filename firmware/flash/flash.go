// Package flash is the device's persistent storage: the directory that
// stands for its flash chip.
//
// A device must survive a power cut at any instant, so every write is
// atomic: the data goes to a temporary file, is fsynced, renamed over the
// target and the directory is fsynced. After a crash a reader sees either
// the old content or the new, never a torn file. Process devices point it
// at a plain directory; QEMU guests at an ext4 filesystem on a virtio disk,
// where the same rename guarantees hold.
package flash

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Well-known paths inside a device's flash.
const (
	// ProvisionCA is the CA bundle (PEM) the device trusts before enrolment,
	// written at the factory (by the harness).
	ProvisionCA = "provision/ca.pem"
	// ProvisionToken is the one-time enrolment token, if any.
	ProvisionToken = "provision/token"
	// IdentityKey is the device's Ed25519 private key (PKCS#8 PEM). It is
	// generated on the device and never leaves it.
	IdentityKey = "identity/key.pem"
	// IdentityPublicKey is the public key in Device.spec.publicKey form,
	// for an operator to pre-register the device.
	IdentityPublicKey = "identity/key.pub"
	// IdentityCert is the certificate the gateway issued (PEM).
	IdentityCert = "identity/cert.pem"
	// IdentityCABundle is the CA bundle received at enrolment (PEM).
	IdentityCABundle = "identity/ca.pem"
	// AppsDir holds installed apps: <name>@<sha256>.wasm, the <name>.json
	// spec that commits it, and <name>.kv (see firmware/apps).
	AppsDir = "apps"
)

// ErrNotExist is returned for a missing name.
var ErrNotExist = fs.ErrNotExist

// Store is a device's flash.
type Store interface {
	// Read returns the content of name, or an error wrapping ErrNotExist.
	Read(name string) ([]byte, error)
	// Write replaces name atomically.
	Write(name string, data []byte) error
	// Remove deletes name; removing a missing name is not an error.
	Remove(name string) error
	// List returns the names directly under dir, sorted.
	List(dir string) ([]string, error)
}

// Dir is a Store rooted at a directory.
type Dir string

func (d Dir) path(name string) (string, error) {
	clean := filepath.Clean("/" + name)
	if clean == "/" || strings.Contains(name, "\x00") {
		return "", fmt.Errorf("flash: bad name %q", name)
	}
	return filepath.Join(string(d), clean), nil
}

// Read implements Store.
func (d Dir) Read(name string) ([]byte, error) {
	p, err := d.path(name)
	if err != nil {
		return nil, err
	}
	return os.ReadFile(p)
}

// Write implements Store: temporary file, fsync, rename, fsync of the
// directory.
func (d Dir) Write(name string, data []byte) error {
	p, err := d.path(name)
	if err != nil {
		return err
	}
	dir := filepath.Dir(p)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(p)+".tmp-")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // no-op after a successful rename
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), p); err != nil {
		return err
	}
	return syncDir(dir)
}

// Remove implements Store.
func (d Dir) Remove(name string) error {
	p, err := d.path(name)
	if err != nil {
		return err
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return syncDir(filepath.Dir(p))
}

// List implements Store. Leftover temporary files of an interrupted write
// are not listed.
func (d Dir) List(dir string) ([]string, error) {
	p, err := d.path(dir)
	if err != nil {
		return nil, err
	}
	entries, err := os.ReadDir(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range entries {
		if !e.IsDir() && !strings.HasPrefix(e.Name(), ".") {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	return names, nil
}

func syncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}
