package env

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/wasmbed/wasmbed/harness/cache"
	"github.com/wasmbed/wasmbed/harness/config"
	"github.com/wasmbed/wasmbed/harness/progress"
	"github.com/wasmbed/wasmbed/harness/workspace"
)

// Binaries are the SUT and firmware executables the harness runs.
type Binaries struct {
	Gateway    string
	Controller string
	Device     string
}

// sutPackages are built into the bin directory, named by their last element.
var sutPackages = []string{"./sut/cmd/gateway", "./sut/cmd/controller", "./firmware/cmd/device"}

// BuildBinaries returns the SUT binaries: those in cfg.SUTBinDir if set
// (make builds them), otherwise freshly built into <root>/bin. go build is
// incremental, so a warm rebuild costs a second or two.
func BuildBinaries(ctx context.Context, cfg *config.Config, pr *progress.Printer) (Binaries, error) {
	dir := cfg.SUTBinDir
	if dir == "" {
		root, err := workspace.Root()
		if err != nil {
			return Binaries{}, err
		}
		dir = filepath.Join(root, "bin")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return Binaries{}, err
		}
		unlock, err := cache.Lock(filepath.Join(dir, ".lock"))
		if err != nil {
			return Binaries{}, err
		}
		defer unlock()
		start := time.Now()
		pr.Printf("building gateway, controller and device binaries into %s", dir)
		args := append([]string{"build", "-o", dir + "/"}, sutPackages...)
		cmd := exec.CommandContext(ctx, "go", args...)
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			return Binaries{}, fmt.Errorf("building SUT binaries: %w\n%s", err, out)
		}
		pr.Printf("SUT binaries ready in %s", time.Since(start).Round(time.Millisecond))
	}
	b := Binaries{
		Gateway:    filepath.Join(dir, "gateway"),
		Controller: filepath.Join(dir, "controller"),
		Device:     filepath.Join(dir, "device"),
	}
	for _, p := range []string{b.Gateway, b.Controller, b.Device} {
		if _, err := os.Stat(p); err != nil {
			return Binaries{}, fmt.Errorf("SUT binary missing (WASMBED_BIN_DIR=%q): %w", cfg.SUTBinDir, err)
		}
	}
	return b, nil
}
