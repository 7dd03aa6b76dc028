package apps

import (
	"fmt"
	"strings"
	"testing"
	"time"

	fixtures "github.com/wasmbed/wasmbed/fixtures/apps"
	"github.com/wasmbed/wasmbed/sut/abi"
)

// TestTimeoutFailsOnlyTheLoopingApp runs a good counter next to an app
// that loops in every tick: the loop is cut at its execution limit each
// time, restarted with backoff, then left Failed, while the counter keeps
// ticking. Flash is in memory so that the counter's pace depends on the CPU
// only, which is what the test is about.
func TestTimeoutFailsOnlyTheLoopingApp(t *testing.T) {
	for _, interp := range []bool{false, true} {
		t.Run(map[bool]string{false: "compiler", true: "interpreter"}[interp], func(t *testing.T) {
			e := newEnv(t, Options{Store: newMemStore(), Interpreter: interp})
			e.mustInstall(specFor("good", fixtures.Counter), fixtures.Counter)
			e.waitOutput("good", "count=", 1)
			before := lastCount(t, e, "good")

			bad := specFor("bad", fixtures.Loop)
			bad.Limits = Limits{MaxExecution: 100 * time.Millisecond, MaxRestarts: 2}
			began := time.Now()
			e.mustInstall(bad, fixtures.Loop)
			st := e.waitState("bad", StateFailed)
			elapsed := time.Since(began)

			if st.Reason != abi.ReasonTimeout || st.Restarts != 2 ||
				st.LastError != "tick did not return within the 100ms execution limit" {
				t.Errorf("bad app status %+v", st)
			}
			// Three runs of at least 100 ms each, plus two backoffs.
			if elapsed < 300*time.Millisecond {
				t.Errorf("three timed-out runs took only %v", elapsed)
			}
			// About 30 ticks are due in that time; a stalled device would
			// manage none. The bound leaves room for a loaded machine.
			if got := lastCount(t, e, "good") - before; got < 3 {
				t.Errorf("the good app ticked %d times in the %v the bad one looped", got, elapsed)
			}
			if st, _ := e.status("good"); st.State != StateRunning || st.Restarts != 0 {
				t.Errorf("good app status %+v", st)
			}
		})
	}
}

func TestMemoryLimitIsPerApp(t *testing.T) {
	for _, interp := range []bool{false, true} {
		t.Run(map[bool]string{false: "compiler", true: "interpreter"}[interp], func(t *testing.T) {
			e := newEnv(t, Options{Interpreter: interp})
			for _, limit := range []uint32{3, 6} {
				spec := specFor(fmt.Sprintf("bomb-%d", limit), fixtures.MemBomb)
				spec.Limits = Limits{MaxMemoryPages: limit}
				spec.RestartPolicy = RestartNever
				e.mustInstall(spec, fixtures.MemBomb)
			}
			e.mustInstall(specFor("good", fixtures.Counter), fixtures.Counter)
			for name, want := range map[string]string{
				"bomb-3": "tick: memory.grow to 4 pages was refused (maxMemoryPages is 3), then wasm error: unreachable (in membomb.tick)",
				"bomb-6": "tick: memory.grow to 7 pages was refused (maxMemoryPages is 6), then wasm error: unreachable (in membomb.tick)",
			} {
				st := e.waitState(name, StateFailed)
				if st.Reason != abi.ReasonMemoryLimit || st.LastError != want {
					t.Errorf("%s: %s %q, want MemoryLimit %q", name, st.Reason, st.LastError, want)
				}
				if st.MemoryBytes != 0 {
					t.Errorf("%s: a failed app still holds %d bytes", name, st.MemoryBytes)
				}
			}
			if st := e.waitState("good", StateRunning); st.MemoryBytes != 65536 {
				t.Errorf("good app memory %d", st.MemoryBytes)
			}
		})
	}
}

func TestMemoryLimitIsRestartable(t *testing.T) {
	e := newEnv(t, Options{})
	spec := specFor("bomb", fixtures.MemBomb)
	spec.Limits = Limits{MaxMemoryPages: 5, MaxRestarts: 1}
	e.mustInstall(spec, fixtures.MemBomb)
	st := e.waitState("bomb", StateFailed)
	if st.Restarts != 1 || st.Reason != abi.ReasonMemoryLimit {
		t.Errorf("status %+v, want MemoryLimit after one restart", st)
	}
	all, _ := e.changes.of("bomb")
	for _, s := range all {
		if s.MemoryBytes > 5*65536 {
			t.Errorf("reported %d bytes, over the 5-page limit", s.MemoryBytes)
		}
	}
}

func TestRecursionTrapsWithStackOverflow(t *testing.T) {
	for _, interp := range []bool{false, true} {
		name := map[bool]string{false: "compiler", true: "interpreter"}[interp]
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, Options{Interpreter: interp})
			spec := specFor("deep", fixtures.Recursion)
			spec.Limits = Limits{MaxExecution: 20 * time.Second}
			spec.RestartPolicy = RestartNever
			e.mustInstall(spec, fixtures.Recursion)
			st := e.waitState("deep", StateFailed)
			if st.Reason != abi.ReasonTrap || !strings.Contains(st.LastError, "stack overflow") {
				t.Errorf("status %+v, want Trap with stack overflow", st)
			}
		})
	}
}

func TestCrashRestartsWithBackoffThenFails(t *testing.T) {
	e := newEnv(t, Options{Backoff: Backoff{Initial: 40 * time.Millisecond, Max: time.Second}})
	spec := specFor("crash", fixtures.Crash)
	spec.Limits.MaxRestarts = 3
	spec.RestartPolicy = RestartOnFailure
	e.mustInstall(spec, fixtures.Crash)
	st := e.waitState("crash", StateFailed)
	if st.Restarts != 3 || st.Reason != abi.ReasonTrap || !strings.Contains(st.LastError, "wasm error: unreachable") {
		t.Errorf("status %+v", st)
	}
	if st.LastError != "tick: wasm error: unreachable (in crash.tick)" {
		t.Errorf("trap message %q lacks the phase or frame", st.LastError)
	}

	// Each Backoff is followed by Running no sooner than its delay, and the
	// delays double: 40, 80, 160 ms.
	all, at := e.changes.of("crash")
	var waits []time.Duration
	for i := 0; i+1 < len(all); i++ {
		if all[i].State == StateBackoff {
			if all[i+1].State != StateRunning {
				t.Fatalf("after Backoff came %s", all[i+1].State)
			}
			waits = append(waits, at[i+1].Sub(at[i]))
		}
	}
	if len(waits) != 3 {
		t.Fatalf("%d backoffs, want 3: %+v", len(waits), all)
	}
	for i, w := range waits {
		if min := (40 * time.Millisecond) << i; w < min {
			t.Errorf("backoff %d lasted %v, want at least %v", i, w, min)
		}
	}
}

func TestRestartPolicyNever(t *testing.T) {
	e := newEnv(t, Options{})
	spec := specFor("crash", fixtures.Crash)
	spec.RestartPolicy = RestartNever
	e.mustInstall(spec, fixtures.Crash)
	if st := e.waitState("crash", StateFailed); st.Restarts != 0 || st.Reason != abi.ReasonTrap {
		t.Errorf("status %+v", st)
	}
}

func TestMaxRestartsZero(t *testing.T) {
	e := newEnv(t, Options{})
	spec := specFor("crash", fixtures.Crash)
	spec.Limits.MaxRestarts = 0
	e.mustInstall(spec, fixtures.Crash)
	if st := e.waitState("crash", StateFailed); st.Restarts != 0 {
		t.Errorf("status %+v", st)
	}
}

func TestBackoffDelay(t *testing.T) {
	b := Backoff{Initial: 100 * time.Millisecond, Max: time.Second}
	want := []time.Duration{100, 200, 400, 800, 1000, 1000}
	for i, w := range want {
		if got := b.delay(i); got != w*time.Millisecond {
			t.Errorf("delay(%d) = %v, want %v", i, got, w*time.Millisecond)
		}
	}
}
