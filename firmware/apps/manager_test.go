package apps

import (
	"context"
	"errors"
	"path"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/wasmbed/wasmbed/firmware/flash"
	fixtures "github.com/wasmbed/wasmbed/fixtures/apps"
	"github.com/wasmbed/wasmbed/sut/abi"
	"github.com/wasmbed/wasmbed/sut/refusal"
)

func TestInstallRunsApp(t *testing.T) {
	e := newEnv(t, Options{})
	e.mustInstall(specFor("hello", fixtures.Hello), fixtures.Hello)
	st := e.waitState("hello", StateRunning)
	e.waitOutput("hello", "hello from wasmbed", 3)

	if st.Digest != fixtures.Hello.Digest() {
		t.Errorf("digest %s, want %s", st.Digest, fixtures.Hello.Digest())
	}
	if st.MemoryBytes != 65536 {
		t.Errorf("memory %d bytes, want one page", st.MemoryBytes)
	}
	if got := e.changes.states("hello"); len(got) < 2 || got[0] != StateInstalling || got[1] != StateRunning {
		t.Errorf("state changes %v, want Installing then Running", got)
	}
	names, _ := e.store.List(flash.AppsDir)
	want := []string{"hello.json", "hello@" + fixtures.Hello.Digest() + ".wasm"}
	if !slices.Equal(names, want) {
		t.Errorf("flash holds %v, want %v", names, want)
	}
}

func TestUpdateReplacesVersion(t *testing.T) {
	e := newEnv(t, Options{})
	e.mustInstall(specFor("greeter", fixtures.HelloV1), fixtures.HelloV1)
	e.waitOutput("greeter", "hello v1", 2)

	e.mustInstall(specFor("greeter", fixtures.HelloV2), fixtures.HelloV2)
	e.waitOutput("greeter", "hello v2", 3)
	out := e.logs.output("greeter")
	firstV2 := slices.IndexFunc(out, func(l string) bool { return l == "hello v2" })
	if slices.Contains(out[firstV2:], "hello v1") {
		t.Errorf("v1 still ran after v2 started: %q", out)
	}
	if st, _ := e.status("greeter"); st.Digest != fixtures.HelloV2.Digest() || st.State != StateRunning {
		t.Errorf("status %+v, want v2 running", st)
	}
	names, _ := e.store.List(flash.AppsDir)
	want := []string{"greeter.json", "greeter@" + fixtures.HelloV2.Digest() + ".wasm"}
	if !slices.Equal(names, want) {
		t.Errorf("flash holds %v, want %v (the v1 module must be gone)", names, want)
	}
}

func TestReinstallSameSpecIsNoop(t *testing.T) {
	e := newEnv(t, Options{})
	spec := specFor("hello", fixtures.Hello)
	e.mustInstall(spec, fixtures.Hello)
	e.waitState("hello", StateRunning)
	before := len(e.changes.states("hello"))
	e.mustInstall(spec, fixtures.Hello)
	if got := e.changes.states("hello"); len(got) != before {
		t.Errorf("reinstalling an identical spec changed state: %v", got)
	}
}

func TestRemoveStopsAndDeletes(t *testing.T) {
	e := newEnv(t, Options{})
	e.mustInstall(specFor("counter", fixtures.Counter), fixtures.Counter)
	e.waitOutput("counter", "count=", 2)

	if err := e.m.Remove(context.Background(), "counter"); err != nil {
		t.Fatal(err)
	}
	lines := len(e.logs.output("counter"))
	if _, ok := e.status("counter"); ok {
		t.Error("removed app still listed")
	}
	names, _ := e.store.List(flash.AppsDir)
	if len(names) != 0 {
		t.Errorf("flash still holds %v", names)
	}
	waitFor(t, 5e9, "the final Stopped change", func() bool {
		s := e.changes.states("counter")
		return len(s) > 0 && s[len(s)-1] == StateStopped
	})
	if n := len(e.logs.output("counter")); n != lines {
		t.Errorf("app wrote %d lines after Remove returned", n-lines)
	}
	if err := e.m.Remove(context.Background(), "counter"); err != nil {
		t.Errorf("removing again: %v", err)
	}
}

// lastCount returns N of the counter's last "count=N" line.
func lastCount(t testing.TB, e *env, app string) int {
	t.Helper()
	out := e.logs.output(app)
	for i := len(out) - 1; i >= 0; i-- {
		if v, ok := strings.CutPrefix(out[i], "count="); ok {
			n, err := strconv.Atoi(v)
			if err != nil {
				t.Fatalf("bad line %q", out[i])
			}
			return n
		}
	}
	return 0
}

func TestRestoreAfterRebootKeepsState(t *testing.T) {
	e := newEnv(t, Options{})
	e.mustInstall(specFor("counter", fixtures.Counter), fixtures.Counter)
	e.mustInstall(specFor("hello", fixtures.Hello), fixtures.Hello)
	e.waitOutput("counter", "count=", 3)

	if err := e.m.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	before := lastCount(t, e, "counter")
	lines := len(e.logs.output("counter"))
	e.start()
	if err := e.m.Restore(context.Background()); err != nil {
		t.Fatal(err)
	}
	e.waitState("hello", StateRunning)
	waitFor(t, 5e9, "the counter to tick after the reboot", func() bool { return len(e.logs.output("counter")) > lines })
	// The count goes on from the persisted value. Stopping can interrupt a
	// tick between its kv_set and its log, as a power cut would, so the
	// first count after the reboot is one or two above the last one logged.
	first, err := strconv.Atoi(strings.TrimPrefix(e.logs.output("counter")[lines], "count="))
	if err != nil || first <= before || first > before+2 {
		t.Errorf("after count=%d the reboot went on with %q", before, e.logs.output("counter")[lines])
	}
	if got := e.changes.states("hello"); !slices.Contains(got, StatePending) {
		t.Errorf("restored app states %v, want Pending first", got)
	}
}

func TestWASICommand(t *testing.T) {
	e := newEnv(t, Options{})
	spec := specFor("wasi", fixtures.WASIHello)
	spec.Args = []string{"one", "two"}
	spec.Env = map[string]string{"GREETING": "hi", "MODE": "test"}
	spec.RestartPolicy = RestartOnFailure
	e.mustInstall(spec, fixtures.WASIHello)
	e.waitState("wasi", StateStopped)
	want := []string{"hello from wasi", "args: wasi one two", "env: GREETING=hi MODE=test", "preopens: none", "done"}
	if got := e.logs.output("wasi"); !slices.Equal(got, want) {
		t.Errorf("output %q, want %q", got, want)
	}
}

func TestWASICommandRestartsUnderAlways(t *testing.T) {
	e := newEnv(t, Options{})
	spec := specFor("wasi", fixtures.WASIHello)
	spec.Limits.MaxRestarts = 1 // completions do not use up the failure budget
	e.mustInstall(spec, fixtures.WASIHello)
	waitFor(t, 10e9, "three restarts", func() bool { s, _ := e.status("wasi"); return s.Restarts >= 3 })
	if s, _ := e.status("wasi"); s.State == StateFailed || s.Reason != "" {
		t.Errorf("completed app reported %+v", s)
	}
}

func TestInstallRefusals(t *testing.T) {
	noKV := specFor("kv-nocap", fixtures.KVNoCap)
	noKV.Capabilities.KV = false
	noWASI := specFor("wasi-nocap", fixtures.WASIHello)
	noWASI.Capabilities.WASI = false
	wrongDigest := specFor("wrong-digest", fixtures.Hello)
	wrongDigest.Digest = fixtures.Counter.Digest()
	badName := specFor("Bad_Name", fixtures.Hello)
	badTick := specFor("bad-tick", fixtures.Hello)
	badTick.Config = map[string]string{abi.ConfigTickMs: "soon"}
	noSub := specFor("echo-nosub", fixtures.Hello)
	noSub.Capabilities.Subscribe = []string{"x"}
	smallMem := specFor("large-small", fixtures.Large)
	smallMem.Limits.MaxMemoryPages = 4

	for _, tc := range []struct {
		spec   Spec
		fx     fixtures.Name
		reason refusal.Reason
		msg    string
	}{
		{specFor("unknown", fixtures.UnknownImport), fixtures.UnknownImport, abi.ReasonUnknownImport,
			"imports wasmbed.launch_missiles, which the device does not define"},
		{noKV, fixtures.KVNoCap, abi.ReasonImportNotGranted,
			"imports wasmbed.kv_set, which needs the kv capability; the Application does not request it"},
		{noWASI, fixtures.WASIHello, abi.ReasonImportNotGranted,
			"imports wasi_snapshot_preview1.fd_write, which needs the wasi capability"},
		{specFor("no-entry", fixtures.NoEntry), fixtures.NoEntry, abi.ReasonInvalidModule, "nothing to run"},
		{specFor("truncated", fixtures.Truncated), fixtures.Truncated, abi.ReasonInvalidModule, "not a valid WebAssembly module"},
		{wrongDigest, fixtures.Hello, abi.ReasonInvalidModule, "not the announced"},
		{badName, fixtures.Hello, abi.ReasonInvalidSpec, "not a DNS subdomain"},
		{badTick, fixtures.Hello, abi.ReasonInvalidSpec, "wasmbed.tick_ms"},
		{noSub, fixtures.Hello, abi.ReasonInvalidModule, "exports no on_message"},
		{smallMem, fixtures.Large, abi.ReasonMemoryLimit, "declares 5 pages (320 KiB) of initial memory, more than maxMemoryPages 4"},
	} {
		t.Run(tc.spec.Name, func(t *testing.T) {
			e := newEnv(t, Options{})
			err := e.install(tc.spec, tc.fx)
			var ae *abi.Error
			if !errors.As(err, &ae) {
				t.Fatalf("Install returned %v, want an *abi.Error", err)
			}
			if ae.Reason != tc.reason || !strings.Contains(ae.Message, tc.msg) {
				t.Errorf("got %s: %s\nwant %s containing %q", ae.Reason, ae.Message, tc.reason, tc.msg)
			}
			st, ok := e.status(tc.spec.Name)
			if !ok || st.State != StateFailed || st.Reason != tc.reason || st.LastError != ae.Message {
				t.Errorf("status %+v, want Failed with the same reason", st)
			}
			if names, _ := e.store.List(flash.AppsDir); len(names) != 0 {
				t.Errorf("a refused app left %v in flash", names)
			}
		})
	}
}

func TestRefusedUpdateKeepsRunningVersion(t *testing.T) {
	e := newEnv(t, Options{})
	e.mustInstall(specFor("greeter", fixtures.HelloV1), fixtures.HelloV1)
	e.waitState("greeter", StateRunning)
	err := e.install(specFor("greeter", fixtures.UnknownImport), fixtures.UnknownImport)
	if abi.ReasonOf(err) != abi.ReasonUnknownImport {
		t.Fatalf("got %v", err)
	}
	n := e.logs.count("greeter", "hello v1")
	e.waitOutput("greeter", "hello v1", n+2)
	if st, _ := e.status("greeter"); st.State != StateRunning || st.Digest != fixtures.HelloV1.Digest() {
		t.Errorf("status %+v, want v1 still running", st)
	}
	if err := e.m.Remove(context.Background(), "greeter"); err != nil {
		t.Fatal(err)
	}
}

func TestLargeModuleRuns(t *testing.T) {
	e := newEnv(t, Options{})
	e.mustInstall(specFor("large", fixtures.Large), fixtures.Large)
	e.waitOutput("large", "large module running", 1)
	if st := e.waitState("large", StateRunning); st.MemoryBytes != 5*65536 {
		t.Errorf("memory %d, want 5 pages", st.MemoryBytes)
	}
	if _, err := e.store.Read(path.Join(flash.AppsDir, "large@"+fixtures.Large.Digest()+".wasm")); err != nil {
		t.Error(err)
	}
}

func TestTickIntervalOverride(t *testing.T) {
	e := newEnv(t, Options{TickInterval: 1e9 * 3600}) // the default would never tick in time
	spec := specFor("fast", fixtures.HelloV1)
	spec.Config = map[string]string{abi.ConfigTickMs: "5"}
	e.mustInstall(spec, fixtures.HelloV1)
	e.waitOutput("fast", "hello v1", 3)
}

func TestClosedManager(t *testing.T) {
	e := newEnv(t, Options{})
	if err := e.m.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := e.install(specFor("hello", fixtures.Hello), fixtures.Hello); !errors.Is(err, ErrClosed) {
		t.Errorf("Install after Close: %v", err)
	}
	if err := e.m.Close(context.Background()); err != nil {
		t.Errorf("second Close: %v", err)
	}
}
