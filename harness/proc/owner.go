package proc

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
)

// OwnerEnv is the environment variable that marks a process as the
// harness's.
const OwnerEnv = "WASMBED_OWNER"

var claimOnce sync.Once

// ClaimOwnership marks this process as a harness owner: children started
// from now on inherit the token. It first sweeps the leftovers of dead
// owners. It is safe to call more than once.
func ClaimOwnership() (swept []int) {
	claimOnce.Do(func() {
		swept = Sweep()
		os.Setenv(OwnerEnv, OwnerToken(os.Getpid()))
	})
	return swept
}

// OwnerToken identifies a process across PID reuse: "<pid>.<start time>".
// Containers, guests' work directories and processes all carry it, so one
// rule decides what a dead harness left behind.
func OwnerToken(pid int) string {
	st, err := startTime(pid)
	if err != nil {
		return strconv.Itoa(pid)
	}
	return fmt.Sprintf("%d.%d", pid, st)
}

// startTime reads field 22 of /proc/<pid>/stat, the start time in clock ticks.
func startTime(pid int) (uint64, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The command name (field 2) may contain spaces; fields after it are
	// plain, so split after the last ')'.
	i := bytes.LastIndexByte(data, ')')
	if i < 0 {
		return 0, fmt.Errorf("malformed stat for %d", pid)
	}
	fields := strings.Fields(string(data[i+1:]))
	if len(fields) < 20 {
		return 0, fmt.Errorf("short stat for %d", pid)
	}
	return strconv.ParseUint(fields[19], 10, 64)
}

// OwnerAlive reports whether the process a token names still runs.
func OwnerAlive(token string) bool {
	pidStr, st, hasStart := strings.Cut(token, ".")
	pid, err := strconv.Atoi(pidStr)
	if err != nil {
		return false
	}
	got, err := startTime(pid)
	if err != nil {
		return false
	}
	return !hasStart || strconv.FormatUint(got, 10) == st
}

// Sweep kills, by PID, every process whose harness owner has exited, and
// returns their PIDs. Processes of live owners (concurrent runs) are left
// alone.
func Sweep() []int {
	self := os.Getpid()
	entries, _ := os.ReadDir("/proc")
	var killed []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == self {
			continue
		}
		env, err := os.ReadFile(filepath.Join("/proc", e.Name(), "environ"))
		if err != nil {
			continue
		}
		token := ""
		for _, kv := range bytes.Split(env, []byte{0}) {
			if v, ok := bytes.CutPrefix(kv, []byte(OwnerEnv+"=")); ok {
				token = string(v)
				break
			}
		}
		if token == "" || OwnerAlive(token) {
			continue
		}
		if syscall.Kill(pid, syscall.SIGKILL) == nil {
			killed = append(killed, pid)
		}
	}
	return killed
}
