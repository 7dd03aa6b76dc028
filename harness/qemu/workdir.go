package qemu

import (
	"os"
	"strconv"
	"strings"

	"github.com/wasmbed/wasmbed/harness/proc"
)

// workDirPrefix names the fleets' temporary directories (sockets, disks).
// They live under /tmp rather than the artefact folder because UNIX socket
// paths are limited to 107 bytes.
const workDirPrefix = "wasmbed-qemu-"

const ownerFile = proc.OwnerFile

// newWorkDir creates a fleet's temporary directory and records its owner
// (proc.OwnerToken), after sweeping the directories of dead owners.
func newWorkDir() (string, []string, error) { return proc.OwnedTempDir(workDirPrefix) }

// sweepWorkDirs removes fleet directories whose owner process is gone
// (a harness that was killed before Close), and returns them.
func sweepWorkDirs() []string { return proc.SweepOwnedDirs(workDirPrefix) }

// hostTSCKHz estimates the host's TSC frequency from /proc/cpuinfo. Under
// TCG the guest's TSC runs at the host's rate, and telling the kernel
// (tsc_early_khz) spares it a calibration that hangs on microvm, which has
// no PIT or HPET to calibrate against.
func hostTSCKHz() int {
	data, err := os.ReadFile("/proc/cpuinfo")
	if err == nil {
		for _, line := range strings.Split(string(data), "\n") {
			k, v, ok := strings.Cut(line, ":")
			if ok && strings.TrimSpace(k) == "cpu MHz" {
				if mhz, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil && mhz > 100 {
					return int(mhz * 1000)
				}
			}
		}
	}
	return 2_000_000
}
