package apps

import (
	"strings"
	"testing"
	"time"

	fixtures "github.com/wasmbed/wasmbed/fixtures/apps"
	"github.com/wasmbed/wasmbed/sut/abi"
)

// The sandbox-attack fixtures, beyond what their catalogue entries promise:
// the message a person reads says what was refused, and the refusal does
// not depend on a capability being withheld.

func TestOutOfBoundsHostBufferTrapsWithoutWriting(t *testing.T) {
	e := newEnv(t, Options{})
	spec := specFor("oob", fixtures.OOBPointer)
	spec.RestartPolicy = RestartNever
	e.mustInstall(spec, fixtures.OOBPointer)
	st := e.waitState("oob", StateFailed)
	if st.Reason != abi.ReasonTrap || !strings.Contains(st.LastError, "wasmbed.device_info: buffer at [65000, 66024) is outside linear memory (65536 bytes)") {
		t.Fatalf("failed with %s: %q", st.Reason, st.LastError)
	}
}

func TestHostCallTimesOutAtTheExecutionLimit(t *testing.T) {
	e := newEnv(t, Options{})
	spec := specFor("sleeper", fixtures.HostSleep)
	spec.RestartPolicy = RestartNever
	spec.Limits.MaxExecution = 150 * time.Millisecond
	start := time.Now()
	e.mustInstall(spec, fixtures.HostSleep)
	st := e.waitState("sleeper", StateFailed)
	if st.Reason != abi.ReasonTimeout {
		t.Fatalf("failed with %s: %q, want %s", st.Reason, st.LastError, abi.ReasonTimeout)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("the sleeping host call ended %s after install; the limit is %s", took, spec.Limits.MaxExecution)
	}
}

func TestWASIGrantedStillHasNoFilesystem(t *testing.T) {
	e := newEnv(t, Options{})
	spec := specFor("fs", fixtures.WASIFS)
	spec.Capabilities.WASI = true
	spec.RestartPolicy = RestartNever
	e.mustInstall(spec, fixtures.WASIFS)
	st := e.waitState("fs", StateFailed)
	if st.Reason != abi.ReasonExit || !strings.Contains(st.LastError, "exited with code 8") {
		t.Fatalf("failed with %s: %q; want %s with path_open's EBADF (8): no directory is preopened", st.Reason, st.LastError, abi.ReasonExit)
	}
}
