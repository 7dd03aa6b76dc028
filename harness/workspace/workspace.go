// Package workspace knows where the harness keeps things: the repository it
// was started from, the cache of built artifacts, and the reports folder.
//
// Everything expensive the harness builds (Kubernetes binaries, SUT
// binaries, QEMU images, container images) is cached under CacheDir, keyed by
// version or content, so a second run builds nothing. The cache lives outside
// the repository on purpose: fresh clones on the same machine share it.
package workspace

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"github.com/wasmbed/wasmbed/harness/config"
)

// ModulePath is the Go module path of this repository.
const ModulePath = "github.com/wasmbed/wasmbed"

var (
	rootOnce sync.Once
	rootDir  string
	rootErr  error
)

// Root returns the repository root. It honours WASMBED_ROOT, then walks up
// from the working directory to the go.mod that declares ModulePath.
func Root() (string, error) {
	rootOnce.Do(func() {
		if r := config.FromEnv().Root; r != "" {
			rootDir, rootErr = filepath.Abs(r)
			return
		}
		dir, err := os.Getwd()
		if err != nil {
			rootErr = err
			return
		}
		for {
			data, err := os.ReadFile(filepath.Join(dir, "go.mod"))
			if err == nil && bytes.HasPrefix(bytes.TrimSpace(data), []byte("module "+ModulePath+"\n")) {
				rootDir = dir
				return
			}
			parent := filepath.Dir(dir)
			if parent == dir {
				rootErr = errors.New("cannot find the wasmbed repository above the working directory; run from inside a clone or set WASMBED_ROOT")
				return
			}
			dir = parent
		}
	})
	return rootDir, rootErr
}

// MustRoot is Root for callers that cannot go on without the repository.
func MustRoot() string {
	r, err := Root()
	if err != nil {
		panic(err)
	}
	return r
}

// CacheDir returns (and creates) the cache directory: WASMBED_CACHE, else
// $XDG_CACHE_HOME/wasmbed, else ~/.cache/wasmbed. Sub-paths are joined on.
func CacheDir(sub ...string) (string, error) {
	base := config.FromEnv().Cache
	if base == "" {
		ucd, err := os.UserCacheDir()
		if err != nil {
			return "", fmt.Errorf("no cache directory: set WASMBED_CACHE: %w", err)
		}
		base = filepath.Join(ucd, "wasmbed")
	}
	dir := filepath.Join(append([]string{base}, sub...)...)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	return dir, nil
}

// ReportsDir returns (and creates) the reports folder for a run:
// WASMBED_REPORTS if set, else <root>/reports/<runID>.
func ReportsDir(runID string) (string, error) {
	dir := config.FromEnv().Reports
	if dir == "" {
		root, err := Root()
		if err != nil {
			return "", err
		}
		dir = filepath.Join(root, "reports", runID)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	return dir, nil
}
