package qemuimages

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// DefaultFirmware is the firmware's main package, built as the guest's
// /init.
const DefaultFirmware = "./firmware/cmd/device"

// TestFirmware is the boot-test /init, for use until the firmware main
// exists and by the boot tests.
const TestFirmware = "./qemu-images/internal/testinit"

// BuildFirmware cross-compiles the Go main package pkg (a path relative to
// the repository root, or an import path) in root as a static Linux binary
// for goarch and writes it to out. The build is reproducible (-trimpath,
// no build id, no VCS stamp), so the image hash changes only when the code
// does.
func BuildFirmware(ctx context.Context, root, pkg, goarch, out string, pr Progress) error {
	if pr == nil {
		pr = silent{}
	}
	if strings.HasPrefix(pkg, "./") {
		if _, err := os.Stat(filepath.Join(root, pkg)); err != nil {
			return fmt.Errorf("qemu-images: firmware package %s does not exist in %s; pass another main package (e.g. %s)", pkg, root, TestFirmware)
		}
	}
	gobin, err := exec.LookPath("go")
	if err != nil {
		return fmt.Errorf("qemu-images: the go command is not on PATH; it cross-compiles the firmware")
	}
	pr.Printf("cross-compiling %s for linux/%s", pkg, goarch)
	start := time.Now()
	cmd := exec.CommandContext(ctx, gobin, "build", "-trimpath", "-buildvcs=false",
		"-ldflags=-s -w -buildid=", "-o", out, pkg)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+goarch)
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("qemu-images: go build %s for %s: %v\n%s", pkg, goarch, err, b)
	}
	pr.Printf("compiled %s for %s in %s", pkg, goarch, time.Since(start).Round(100*time.Millisecond))
	return nil
}
