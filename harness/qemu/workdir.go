package qemu

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// workDirPrefix names the fleets' temporary directories (sockets, disks).
// They live under /tmp rather than the artefact folder because UNIX socket
// paths are limited to 107 bytes.
const workDirPrefix = "wasmbed-qemu-"

const ownerFile = "owner"

// newWorkDir creates a fleet's temporary directory and records its owner
// (PID and start time), after sweeping the directories of dead owners.
func newWorkDir() (string, []string, error) {
	swept := sweepWorkDirs()
	dir, err := os.MkdirTemp("", workDirPrefix)
	if err != nil {
		return "", swept, err
	}
	st, _ := procStartTime(os.Getpid())
	owner := fmt.Sprintf("%d %d\n", os.Getpid(), st)
	if err := os.WriteFile(filepath.Join(dir, ownerFile), []byte(owner), 0o644); err != nil {
		os.RemoveAll(dir)
		return "", swept, err
	}
	return dir, swept, nil
}

// sweepWorkDirs removes fleet directories whose owner process is gone
// (a harness that was killed before Close), and returns them.
func sweepWorkDirs() []string {
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), workDirPrefix+"*"))
	var swept []string
	for _, dir := range dirs {
		data, err := os.ReadFile(filepath.Join(dir, ownerFile))
		if err != nil {
			continue // being created, or not ours
		}
		f := strings.Fields(string(data))
		if len(f) != 2 {
			continue
		}
		pid, _ := strconv.Atoi(f[0])
		want, _ := strconv.ParseUint(f[1], 10, 64)
		if got, err := procStartTime(pid); err == nil && got == want {
			continue // owner alive
		}
		if os.RemoveAll(dir) == nil {
			swept = append(swept, dir)
		}
	}
	return swept
}

// procStartTime reads field 22 of /proc/<pid>/stat (start time in clock
// ticks), which tells a process from a later one with the same PID.
func procStartTime(pid int) (uint64, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	i := bytes.LastIndexByte(data, ')')
	if i < 0 {
		return 0, fmt.Errorf("malformed /proc/%d/stat", pid)
	}
	f := strings.Fields(string(data[i+1:]))
	if len(f) < 20 {
		return 0, fmt.Errorf("short /proc/%d/stat", pid)
	}
	return strconv.ParseUint(f[19], 10, 64)
}

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
