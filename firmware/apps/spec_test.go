package apps

import (
	"context"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/wasmbed/wasmbed/firmware/flash"
	fixtures "github.com/wasmbed/wasmbed/fixtures/apps"
	"github.com/wasmbed/wasmbed/sut/abi"
	"github.com/wasmbed/wasmbed/sut/protocol"
)

func TestSpecDeployRoundTrip(t *testing.T) {
	d := protocol.Deploy{
		App:    "demo",
		Digest: fixtures.Hello.Digest(),
		Limits: protocol.AppLimits{MaxMemoryPages: 8, MaxExecutionMs: 250, MaxRestarts: 3},
		Capabilities: protocol.AppCapabilities{Log: true, Clock: true, KV: true, WASI: true,
			Publish: []string{"a/#"}, Subscribe: []string{"b"}, MAVLink: []string{"arm", "land"}},
		Env:           map[string]string{"K": "V"},
		Args:          []string{"x"},
		Config:        map[string]string{"c": "d"},
		RestartPolicy: "OnFailure",
	}
	s, err := SpecFromDeploy(&d)
	if err != nil {
		t.Fatal(err)
	}
	if s.Limits.MaxExecution != 250*time.Millisecond || s.RestartPolicy != RestartOnFailure || !s.Capabilities.KV {
		t.Errorf("spec %+v", s)
	}
	if back := s.Deploy(); !reflect.DeepEqual(back, d) {
		t.Errorf("round trip:\n got %+v\nwant %+v", back, d)
	}
	d.Capabilities.MAVLink = []string{"loop-the-loop"}
	if _, err := SpecFromDeploy(&d); abi.ReasonOf(err) != abi.ReasonInvalidSpec {
		t.Errorf("an unknown vehicle command: %v", err)
	}
}

func TestSpecValidate(t *testing.T) {
	good := specFor("ok", fixtures.Hello)
	if err := good.Validate(); err != nil {
		t.Fatal(err)
	}
	for name, edit := range map[string]func(*Spec){
		"empty name":     func(s *Spec) { s.Name = "" },
		"long name":      func(s *Spec) { s.Name = strings.Repeat("a", 254) },
		"upper name":     func(s *Spec) { s.Name = "App" },
		"short digest":   func(s *Spec) { s.Digest = "abc" },
		"policy":         func(s *Spec) { s.RestartPolicy = "Sometimes" },
		"pages":          func(s *Spec) { s.Limits.MaxMemoryPages = 70000 },
		"negative exec":  func(s *Spec) { s.Limits.MaxExecution = -1 },
		"publish":        func(s *Spec) { s.Capabilities.Publish = []string{"a/#/b"} },
		"subscribe":      func(s *Spec) { s.Capabilities.Subscribe = []string{""} },
		"env":            func(s *Spec) { s.Env = map[string]string{"1X": "y"} },
		"args":           func(s *Spec) { s.Args = []string{"a\x00b"} },
		"tick too short": func(s *Spec) { s.Config = map[string]string{abi.ConfigTickMs: "0"} },
	} {
		s := good
		edit(&s)
		if err := s.Validate(); abi.ReasonOf(err) != abi.ReasonInvalidSpec {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestStatusProtocolRoundTrip(t *testing.T) {
	s := AppStatus{Name: "a", Digest: "d", State: StateBackoff, Restarts: 2, Reason: abi.ReasonTrap, LastError: "boom", MemoryBytes: 65536}
	if back := StatusFromProtocol(s.Protocol()); back != s {
		t.Errorf("round trip %+v", back)
	}
	if got := ProtocolStatuses([]AppStatus{s}); len(got) != 1 || got[0].State != "Backoff" {
		t.Errorf("%+v", got)
	}
}

// signExtModule is (module (func (export "init") (drop (i32.extend8_s (i32.const 1))))):
// valid only with the sign-extension-ops feature.
var signExtModule = []byte{
	0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
	0x01, 0x04, 0x01, 0x60, 0x00, 0x00, // type () -> ()
	0x03, 0x02, 0x01, 0x00, // one function of type 0
	0x07, 0x08, 0x01, 0x04, 'i', 'n', 'i', 't', 0x00, 0x00, // export "init"
	0x0a, 0x08, 0x01, 0x06, 0x00, 0x41, 0x01, 0xc0, 0x1a, 0x0b, // i32.const 1; i32.extend8_s; drop
}

func TestWasmFeatures(t *testing.T) {
	spec := Spec{Name: "signext", Digest: digestOf(signExtModule), RestartPolicy: RestartNever}

	old := newEnv(t, Options{Features: []string{"mutable-global"}})
	err := old.m.Install(context.Background(), spec, signExtModule)
	if abi.ReasonOf(err) != abi.ReasonInvalidModule || !strings.Contains(err.Error(), "this device supports mutable-global") {
		t.Errorf("on a 1.0 device: %v", err)
	}
	if err := old.install(specFor("hello", fixtures.Hello), fixtures.Hello); err != nil {
		t.Errorf("an MVP module on a 1.0 device: %v", err)
	}

	modern := newEnv(t, Options{Features: []string{"sign-extension-ops"}})
	if err := modern.m.Install(context.Background(), spec, signExtModule); err != nil {
		t.Errorf("with sign-extension-ops: %v", err)
	}
	modern.waitState("signext", StateStopped) // init only: it completes

	if _, err := New(context.Background(), Options{Store: flash.Dir(t.TempDir()), Features: []string{"threads"}}); err == nil ||
		!strings.Contains(err.Error(), `unknown wasm feature "threads"`) {
		t.Errorf("an unknown feature: %v", err)
	}
}

func TestNewNeedsStore(t *testing.T) {
	if _, err := New(context.Background(), Options{}); err == nil {
		t.Error("no error without a store")
	}
}

// TestCloseStopsEverything checks that Close leaves no goroutine behind:
// apps mid-call, in backoff, with a vehicle command in flight.
func TestCloseStopsEverything(t *testing.T) {
	before := runtime.NumGoroutine()
	e := &env{t: t, logs: newLogRecorder(), changes: &changes{}}
	m, err := New(context.Background(), Options{
		Store:        flash.Dir(t.TempDir()),
		TickInterval: 5 * time.Millisecond,
		OnChange:     e.changes.record,
		VehicleCommand: func(ctx context.Context, app string, cmd protocol.VehicleCommand) protocol.VehicleCommandResult {
			<-ctx.Done()
			return protocol.VehicleCommandResult{Result: "cancelled"}
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	e.m = m
	e.mustInstall(specFor("counter", fixtures.Counter), fixtures.Counter)
	loop := specFor("loop", fixtures.Loop)
	loop.Limits.MaxExecution = time.Hour // Close must interrupt it
	e.mustInstall(loop, fixtures.Loop)
	crash := specFor("crash", fixtures.Crash)
	crash.Limits.MaxRestarts = 100
	e.mustInstall(crash, fixtures.Crash)
	waitFor(t, 5*time.Second, "crash to back off", func() bool { s, _ := e.status("crash"); return s.Restarts > 0 })
	e.waitState("loop", StateRunning)

	// A vehicle command in flight, through an instance of the probe.
	p := &probe{t: t, e: e}
	spec := specFor("probe", fixtures.ABIProbe).withDefaults()
	prog, err := m.engine.compile(context.Background(), spec, fixtures.ABIProbe.Wasm())
	if err != nil {
		t.Fatal(err)
	}
	p.a = m.newApp(spec, prog, StateRunning)
	m.set(p.a)
	close(p.a.done) // no goroutine of its own
	if p.in, err = p.a.instantiate(); err != nil {
		t.Fatal(err)
	}
	p.write(keyAt, `{"command":"arm"}`)
	if id := p.must("p_vehicle_command", keyAt, 17); id != 1 {
		t.Fatalf("vehicle_command: %d", id)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := m.Close(ctx); err != nil {
		t.Fatal(err)
	}
	p.in.close()
	waitFor(t, 5*time.Second, "goroutines to end", func() bool { return runtime.NumGoroutine() <= before })
}

// TestOnChangeMayCallTheManager: OnChange runs on its own goroutine, so it
// may call back into the Manager, even while Close drains it.
func TestOnChangeMayCallTheManager(t *testing.T) {
	var m *Manager
	calls := make(chan error, 100)
	m, err := New(context.Background(), Options{
		Store: flash.Dir(t.TempDir()),
		OnChange: func(s AppStatus) {
			calls <- m.Remove(context.Background(), "nonexistent")
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Install(context.Background(), specFor("hello", fixtures.Hello), fixtures.Hello.Wasm()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := m.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if len(calls) == 0 {
		t.Error("OnChange was not called")
	}
}
