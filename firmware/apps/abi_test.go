package apps

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tetratelabs/wazero/api"

	fixtures "github.com/wasmbed/wasmbed/fixtures/apps"
	"github.com/wasmbed/wasmbed/sut/abi"
	"github.com/wasmbed/wasmbed/sut/modulecheck"
	"github.com/wasmbed/wasmbed/sut/protocol"
)

// probe is an instance of the abi-probe fixture driven directly, without
// the app's goroutine, so a test can call any host function with any
// arguments.
type probe struct {
	t  testing.TB
	e  *env
	a  *app
	in *instance
}

func newProbe(t testing.TB, opts Options, edit func(*Spec)) *probe {
	t.Helper()
	e := newEnv(t, opts)
	spec := specFor("probe", fixtures.ABIProbe).withDefaults()
	if edit != nil {
		edit(&spec)
	}
	prog, err := e.m.engine.compile(context.Background(), spec, fixtures.ABIProbe.Wasm())
	if err != nil {
		t.Fatal(err)
	}
	a := e.m.newApp(spec, prog, StateRunning)
	if a.kv, err = loadKV(e.store, kvPath(spec.Name)); err != nil {
		t.Fatal(err)
	}
	in, err := a.instantiate()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { in.close(); prog.close(context.Background()) })
	return &probe{t: t, e: e, a: a, in: in}
}

// call calls an export of the probe and returns its i32 result, if any.
func (p *probe) call(name string, args ...uint64) (int32, error) {
	p.t.Helper()
	fn := p.in.mod.ExportedFunction(name)
	if fn == nil {
		p.t.Fatalf("probe exports no %s", name)
	}
	res, err := p.in.call(name, fn, args...)
	if err != nil || len(res) == 0 {
		return 0, err
	}
	return api.DecodeI32(res[0]), nil
}

// must calls and fails the test on a trap.
func (p *probe) must(name string, args ...uint64) int32 {
	p.t.Helper()
	v, err := p.call(name, args...)
	if err != nil {
		p.t.Fatalf("%s: %v", name, err)
	}
	return v
}

func (p *probe) write(ptr uint32, s string) {
	if !p.in.mod.Memory().WriteString(ptr, s) {
		p.t.Fatalf("cannot write at %d", ptr)
	}
}

func (p *probe) read(ptr, n uint32) string {
	b, ok := p.in.mod.Memory().Read(ptr, n)
	if !ok {
		p.t.Fatalf("cannot read at %d", ptr)
	}
	return string(b)
}

// Scratch addresses in the probe's single page.
const (
	keyAt  = 0
	valAt  = 1024
	bufAt  = 8192
	bigAt  = 16384
	memEnd = 65536
)

func u(v int) uint64 { return uint64(uint32(int32(v))) }

func TestABILog(t *testing.T) {
	p := newProbe(t, Options{}, nil)
	p.write(keyAt, "hello log")
	p.must("p_log", u(int(abi.LogWarn)), keyAt, 9)
	p.write(keyAt, strings.Repeat("x", 2000))
	p.must("p_log", u(int(abi.LogInfo)), keyAt, 2000)
	out := p.e.logs.output("probe")
	if len(out) != 2 || out[0] != "hello log" || len(out[1]) != abi.MaxLogBytes+len("…") {
		t.Errorf("logged %q", out)
	}
}

func TestABIKeyValue(t *testing.T) {
	p := newProbe(t, Options{}, nil)
	p.write(keyAt, "k")
	if got := p.must("p_kv_get", keyAt, 1, bufAt, 16); got != abi.ErrNotFound {
		t.Errorf("get of a missing key: %d", got)
	}
	p.write(valAt, "hello")
	if got := p.must("p_kv_set", keyAt, 1, valAt, 5); got != abi.OK {
		t.Errorf("set: %d", got)
	}
	if got := p.must("p_kv_get", keyAt, 1, bufAt, 2); got != abi.ErrBufferTooSmall {
		t.Errorf("get into 2 bytes: %d", got)
	}
	if got := p.must("p_kv_get", keyAt, 1, bufAt, 16); got != 5 || p.read(bufAt, 5) != "hello" {
		t.Errorf("get: %d %q", got, p.read(bufAt, 5))
	}
	// Persisted: a fresh load of the store sees it.
	kv, err := loadKV(p.e.store, kvPath("probe"))
	if v, ok := kv.get("k"); err != nil || !ok || string(v) != "hello" {
		t.Errorf("flash holds %q, %v, %v", v, ok, err)
	}
	if got := p.must("p_kv_delete", keyAt, 1); got != abi.OK {
		t.Errorf("delete: %d", got)
	}
	if got := p.must("p_kv_delete", keyAt, 1); got != abi.ErrNotFound {
		t.Errorf("delete again: %d", got)
	}
	if got := p.must("p_kv_get", keyAt, 0, bufAt, 16); got != abi.ErrInvalidArgument {
		t.Errorf("empty key: %d", got)
	}
	if got := p.must("p_kv_set", keyAt, abi.MaxKVKeyBytes+1, valAt, 1); got != abi.ErrInvalidArgument {
		t.Errorf("long key: %d", got)
	}
	if got := p.must("p_kv_set", keyAt, 1, valAt, abi.MaxKVValueBytes+1); got != abi.ErrInvalidArgument {
		t.Errorf("long value: %d", got)
	}
	// Fill the store to its quota.
	var code int32
	for i := 0; i < 10 && code == abi.OK; i++ {
		p.write(keyAt, fmt.Sprintf("key%d", i))
		code = p.must("p_kv_set", keyAt, 4, valAt, abi.MaxKVValueBytes)
	}
	if code != abi.ErrQuotaExceeded {
		t.Errorf("filling the store ended with %d, want ErrQuotaExceeded", code)
	}
	if p.a.kv.size > abi.MaxKVBytes {
		t.Errorf("store holds %d bytes", p.a.kv.size)
	}
}

func TestABIConfigAndDeviceInfo(t *testing.T) {
	p := newProbe(t, Options{Device: DeviceInfo{Name: "dev-1", Arch: "riscv64", Profile: "riscv64-virt"}}, func(s *Spec) {
		s.Config = map[string]string{"greeting": "hi there"}
		s.Args = []string{"--fast"}
	})
	p.write(keyAt, "greeting")
	if got := p.must("p_config_get", keyAt, 8, bufAt, 64); got != 8 || p.read(bufAt, 8) != "hi there" {
		t.Errorf("config_get: %d %q", got, p.read(bufAt, 8))
	}
	if got := p.must("p_config_get", keyAt, 8, bufAt, 3); got != abi.ErrBufferTooSmall {
		t.Errorf("config_get into 3 bytes: %d", got)
	}
	if got := p.must("p_config_get", keyAt, 5, bufAt, 64); got != abi.ErrNotFound {
		t.Errorf("config_get of a missing key: %d", got)
	}
	n := p.must("p_device_info", bufAt, 512)
	var info abi.DeviceInfo
	if err := json.Unmarshal([]byte(p.read(bufAt, uint32(n))), &info); err != nil {
		t.Fatal(err)
	}
	want := abi.DeviceInfo{Name: "dev-1", Arch: "riscv64", Profile: "riscv64-virt", App: "probe", Args: []string{"--fast"}}
	if fmt.Sprint(info) != fmt.Sprint(want) {
		t.Errorf("device_info %+v, want %+v", info, want)
	}
	if got := p.must("p_device_info", bufAt, 10); got != abi.ErrBufferTooSmall {
		t.Errorf("device_info into 10 bytes: %d", got)
	}
}

func TestABIClock(t *testing.T) {
	p := newProbe(t, Options{}, nil)
	fn := func(name string) int64 {
		res, err := p.in.call(name, p.in.mod.ExportedFunction(name))
		if err != nil {
			t.Fatal(err)
		}
		return int64(res[0])
	}
	a := fn("p_clock_ms")
	p.must("p_sleep_ms", 20)
	b := fn("p_clock_ms")
	if b-a < 20 {
		t.Errorf("clock_ms advanced %d ms across a 20 ms sleep", b-a)
	}
	if now := fn("p_time_unix_ms"); now < time.Now().Add(-5*time.Second).UnixMilli() || now > time.Now().UnixMilli() {
		t.Errorf("time_unix_ms %d is not now", now)
	}
	p.must("p_yield")
	p.must("p_sleep_ms", u(-5)) // negative: returns at once
}

func TestABISleepCountsAgainstTheLimit(t *testing.T) {
	p := newProbe(t, Options{}, func(s *Spec) { s.Limits.MaxExecution = 50 * time.Millisecond })
	began := time.Now()
	_, err := p.call("p_sleep_ms", 10_000)
	if abi.ReasonOf(err) != abi.ReasonTimeout {
		t.Fatalf("got %v, want Timeout", err)
	}
	if d := time.Since(began); d > 2*time.Second {
		t.Errorf("a 10 s sleep under a 50 ms limit took %v", d)
	}
}

type published struct{ app, topic, data string }

func TestABIPublish(t *testing.T) {
	var mu sync.Mutex
	var got []published
	p := newProbe(t, Options{Publish: func(app, topic string, data []byte) {
		mu.Lock()
		got = append(got, published{app, topic, string(data)})
		mu.Unlock()
	}}, nil)
	p.write(keyAt, "probe/x")
	p.write(valAt, "payload")
	if c := p.must("p_publish", keyAt, 7, valAt, 7); c != abi.OK {
		t.Errorf("publish: %d", c)
	}
	p.write(keyAt, "other/x")
	if c := p.must("p_publish", keyAt, 7, valAt, 7); c != abi.ErrNotPermitted {
		t.Errorf("publish to an ungranted topic: %d", c)
	}
	p.write(keyAt, "probe/#")
	if c := p.must("p_publish", keyAt, 7, valAt, 7); c != abi.ErrInvalidArgument {
		t.Errorf("publish to a wildcard: %d", c)
	}
	if c := p.must("p_publish", keyAt, 0, valAt, 7); c != abi.ErrInvalidArgument {
		t.Errorf("publish to an empty topic: %d", c)
	}
	if c := p.must("p_publish", keyAt, 7, 0, abi.MaxMessageBytes+1); c != abi.ErrInvalidArgument {
		t.Errorf("publish of a too large message: %d", c)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 1 || got[0] != (published{"probe", "probe/x", "payload"}) {
		t.Errorf("published %+v", got)
	}
	refused := 0
	for _, r := range p.e.logs.runtimeLogs("probe") {
		if strings.HasPrefix(r.msg, "publish refused") {
			refused++
		}
	}
	if refused != 2 {
		t.Errorf("%d refusals logged, want 2", refused)
	}
}

func TestABIPublishWithoutUpstream(t *testing.T) {
	p := newProbe(t, Options{}, nil)
	p.write(keyAt, "probe/x")
	if c := p.must("p_publish", keyAt, 7, valAt, 0); c != abi.ErrUnavailable {
		t.Errorf("publish with no upstream: %d", c)
	}
}

func TestABIVehicleCommand(t *testing.T) {
	var mu sync.Mutex
	var sent []protocol.VehicleCommand
	p := newProbe(t, Options{VehicleCommand: func(ctx context.Context, app string, cmd protocol.VehicleCommand) protocol.VehicleCommandResult {
		mu.Lock()
		sent = append(sent, cmd)
		mu.Unlock()
		return protocol.VehicleCommandResult{Result: "accepted", Message: "ok"}
	}}, func(s *Spec) { s.Capabilities.MAVLink = []string{"takeoff", "set_mode"} })

	req := `{"command":"takeoff","param":12.5}`
	p.write(keyAt, req)
	id := p.must("p_vehicle_command", keyAt, u(len(req)))
	if id <= 0 {
		t.Fatalf("vehicle_command returned %d", id)
	}
	var msg message
	select {
	case msg = <-p.a.mailbox:
	case <-time.After(5 * time.Second):
		t.Fatal("no result delivered")
	}
	var res abi.VehicleResult
	if err := json.Unmarshal(msg.data, &res); err != nil || msg.topic != abi.TopicVehicleResult {
		t.Fatalf("delivered %s %s: %v", msg.topic, msg.data, err)
	}
	if res != (abi.VehicleResult{ID: id, Command: "takeoff", Result: "accepted", Message: "ok"}) {
		t.Errorf("result %+v", res)
	}
	mu.Lock()
	if len(sent) != 1 || sent[0] != (protocol.VehicleCommand{App: "probe", Command: "takeoff", Param: 12.5}) {
		t.Errorf("sent %+v", sent)
	}
	mu.Unlock()

	// The result reaches the app through on_message, which the probe logs.
	if err := p.in.deliver(msg); err != nil {
		t.Fatal(err)
	}
	if out := p.e.logs.output("probe"); len(out) != 2 || out[0] != abi.TopicVehicleResult || out[1] != string(msg.data) {
		t.Errorf("on_message saw %q", out)
	}

	for req, want := range map[string]int32{
		`{"command":"arm"}`:                 abi.ErrNotPermitted,
		`{"command":"launch"}`:              abi.ErrInvalidArgument,
		`{"command":"set_mode"}`:            abi.ErrInvalidArgument,
		`{"command":"takeoff","extra":1}`:   abi.ErrInvalidArgument,
		`not json`:                          abi.ErrInvalidArgument,
		`{"command":"set_mode","mode":"G"}`: 2,
	} {
		p.write(keyAt, req)
		if got := p.must("p_vehicle_command", keyAt, u(len(req))); got != want && !(want > 0 && got > 0) {
			t.Errorf("%s: %d, want %d", req, got, want)
		}
	}
}

func TestABIVehicleCommandLimits(t *testing.T) {
	release := make(chan struct{})
	p := newProbe(t, Options{VehicleCommand: func(ctx context.Context, app string, cmd protocol.VehicleCommand) protocol.VehicleCommandResult {
		select {
		case <-release:
		case <-ctx.Done():
		}
		return protocol.VehicleCommandResult{Result: "accepted"}
	}}, nil)
	req := `{"command":"arm"}`
	p.write(keyAt, req)
	for i := 0; i < abi.MaxVehicleInFlight; i++ {
		if id := p.must("p_vehicle_command", keyAt, u(len(req))); id != int32(i+1) {
			t.Fatalf("command %d got id %d", i, id)
		}
	}
	if got := p.must("p_vehicle_command", keyAt, u(len(req))); got != abi.ErrQuotaExceeded {
		t.Errorf("one command too many: %d", got)
	}
	close(release)
	waitFor(t, 5*time.Second, "the results", func() bool { return len(p.a.mailbox) == abi.MaxVehicleInFlight })

	none := newProbe(t, Options{}, nil)
	none.write(keyAt, req)
	if got := none.must("p_vehicle_command", keyAt, u(len(req))); got != abi.ErrUnavailable {
		t.Errorf("without a vehicle: %d", got)
	}
}

// TestABIBoundsChecks passes every host function a pointer or length
// outside the probe's one page of memory: each call must trap with a
// message naming the function and the range, and the device carries on.
func TestABIBoundsChecks(t *testing.T) {
	for _, tc := range []struct {
		export string
		args   []uint64
		want   string
	}{
		{"p_log", []uint64{1, 65530, 100}, "wasmbed.log: message at [65530, 65630) is outside linear memory (65536 bytes)"},
		{"p_log", []uint64{1, 0xffffffff, 0xffffffff}, "wasmbed.log: message at [4294967295, 8589934590) is outside"},
		{"p_kv_get", []uint64{70000, 1, bufAt, 4}, "wasmbed.kv_get: key at [70000, 70001)"},
		{"p_kv_get", []uint64{keyAt, 1, 65530, 100}, "wasmbed.kv_get: value buffer at [65530, 65630)"},
		{"p_kv_set", []uint64{keyAt, 1, 65000, 4096}, "wasmbed.kv_set: value at [65000, 69096)"},
		{"p_kv_delete", []uint64{0xfffffff0, 16}, "wasmbed.kv_delete: key at"},
		{"p_publish", []uint64{70000, 5, 0, 0}, "wasmbed.publish: topic at"},
		{"p_publish", []uint64{keyAt, 7, 65535, 16}, "wasmbed.publish: data at [65535, 65551)"},
		{"p_config_get", []uint64{0xfffffff0, 4, 0, 0}, "wasmbed.config_get: key at"},
		{"p_config_get", []uint64{keyAt, 1, 65535, 2}, "wasmbed.config_get: buffer at"},
		{"p_device_info", []uint64{65500, 100}, "wasmbed.device_info: buffer at [65500, 65600)"},
		{"p_vehicle_command", []uint64{65500, 100}, "wasmbed.vehicle_command: request at [65500, 65600)"},
	} {
		t.Run(tc.export, func(t *testing.T) {
			p := newProbe(t, Options{}, nil)
			p.write(keyAt, "probe/x")
			_, err := p.call(tc.export, tc.args...)
			var ae *abi.Error
			if !errorsAs(err, &ae) || ae.Reason != abi.ReasonTrap || !strings.Contains(ae.Message, tc.want) {
				t.Fatalf("got %v\nwant a Trap containing %q", err, tc.want)
			}
			if frame := "(in abi-probe." + tc.export + ")"; !strings.HasSuffix(ae.Message, frame) {
				t.Errorf("%q does not name the calling function %s", ae.Message, frame)
			}
			// The instance and the runtime are still usable.
			p.must("p_yield")
		})
	}
}

// TestABICapabilityRecheckedAtCall: the import check refuses ungranted
// imports, but a host function checks again when called.
func TestABICapabilityRecheckedAtCall(t *testing.T) {
	p := newProbe(t, Options{}, nil)
	p.a.spec.Capabilities.KV = false
	_, err := p.call("p_kv_delete", keyAt, 1)
	if abi.ReasonOf(err) != abi.ReasonTrap || !strings.Contains(err.Error(), "wasmbed.kv_delete: needs the kv capability") {
		t.Errorf("got %v", err)
	}
}

func TestHostModuleMatchesABI(t *testing.T) {
	e := newEnv(t, Options{})
	if len(e.m.engine.host.Wasmbed) != len(abi.Functions()) {
		t.Errorf("host module exports %d functions, the ABI lists %d", len(e.m.engine.host.Wasmbed), len(abi.Functions()))
	}
	for _, f := range abi.Functions() {
		def, ok := e.m.engine.host.Wasmbed[f.Name]
		if !ok || modulecheck.Signature(def) != f.Signature() {
			t.Errorf("%s: host defines %v, ABI says %s", f.Name, def, f.Signature())
		}
	}
}
