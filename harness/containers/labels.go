package containers

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// Labels on everything this package creates.
const (
	// LabelHarness marks a container or network as the harness's.
	LabelHarness = "wasmbed.io/harness"
	// LabelOwner names the creating process: "<pid>.<start time>", so a
	// sweep can tell a dead owner from a live one across PID reuse.
	LabelOwner = "wasmbed.io/owner"
	// LabelRun is the run ID, for people reading `docker ps`.
	LabelRun = "wasmbed.io/run"
	// LabelRole is gateway, controller, device or network.
	LabelRole = "wasmbed.io/role"
)

// selfOwner is this process's owner token.
var selfOwner = ownerToken(os.Getpid())

// ownerToken identifies a process across PID reuse: its PID and its start
// time in clock ticks (field 22 of /proc/<pid>/stat).
func ownerToken(pid int) string {
	st, err := startTime(pid)
	if err != nil {
		return strconv.Itoa(pid)
	}
	return fmt.Sprintf("%d.%d", pid, st)
}

func startTime(pid int) (uint64, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The command name may hold spaces; the fields after its ')' do not.
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

// ownerAlive reports whether the process a token names still runs.
func ownerAlive(token string) bool {
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

// labels returns the labels of a new object of the given role.
func labels(runID, role string) map[string]string {
	return map[string]string{
		LabelHarness: "true",
		LabelOwner:   selfOwner,
		LabelRun:     runID,
		LabelRole:    role,
	}
}
