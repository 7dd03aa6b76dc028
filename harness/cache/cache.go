// Package cache stores build products under the workspace cache directory,
// keyed by version or content hash.
//
// A product is built into a temporary directory and renamed into place only
// when complete, so an interrupted build never leaves a half-built entry.
// An flock serialises builders, so parallel harness processes (ginkgo -p)
// share one build instead of racing.
package cache

import (
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/wasmbed/wasmbed/harness/workspace"
)

const stampName = ".complete"

// Ensure returns the directory of the entry kind/key, calling build to fill
// a fresh directory first if the entry is missing.
func Ensure(kind, key string, build func(dir string) error) (string, error) {
	base, err := workspace.CacheDir(kind)
	if err != nil {
		return "", err
	}
	dir := filepath.Join(base, key)
	if Has(dir) {
		return dir, nil
	}
	unlock, err := Lock(filepath.Join(base, ".lock"))
	if err != nil {
		return "", err
	}
	defer unlock()
	if Has(dir) {
		return dir, nil // built by another process while we waited
	}
	tmp, err := os.MkdirTemp(base, ".build-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp)
	if err := build(tmp); err != nil {
		return "", err
	}
	if err := os.WriteFile(filepath.Join(tmp, stampName), []byte(time.Now().Format(time.RFC3339)+"\n"), 0o644); err != nil {
		return "", err
	}
	if err := os.RemoveAll(dir); err != nil {
		return "", err
	}
	if err := os.Rename(tmp, dir); err != nil {
		return "", fmt.Errorf("cache: install %s: %w", dir, err)
	}
	return dir, nil
}

// Has reports whether dir is a complete cache entry.
func Has(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, stampName))
	return err == nil
}

// Lock takes an exclusive flock on path, blocking until it is free, and
// returns the function that releases it.
func Lock(path string) (func(), error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, err
	}
	return func() {
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, nil
}
