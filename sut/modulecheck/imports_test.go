package modulecheck

import (
	"context"
	"strings"
	"testing"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"

	fixtures "github.com/wasmbed/wasmbed/fixtures/apps"
	"github.com/wasmbed/wasmbed/sut/abi"
	"github.com/wasmbed/wasmbed/sut/refusal"
)

// newHost instantiates what a device provides to import: the wasmbed host
// module, defined from the ABI's table (the functions do nothing: only
// their types are checked), and WASI preview1.
func newHost(t *testing.T) (wazero.Runtime, Host) {
	t.Helper()
	ctx := context.Background()
	rt := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigInterpreter())
	t.Cleanup(func() { rt.Close(ctx) })
	b := rt.NewHostModuleBuilder(abi.ModuleName)
	for _, f := range abi.Functions() {
		b.NewFunctionBuilder().
			WithGoModuleFunction(api.GoModuleFunc(func(context.Context, api.Module, []uint64) {}), ValueTypes(f.Params), ValueTypes(f.Results)).
			Export(f.Name)
	}
	host, err := b.Instantiate(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := wasi_snapshot_preview1.Instantiate(ctx, rt); err != nil {
		t.Fatal(err)
	}
	return rt, Host{Wasmbed: host.ExportedFunctionDefinitions(), WASI: rt.Module(wasi_snapshot_preview1.ModuleName).ExportedFunctionDefinitions()}
}

// granting grants exactly caps (and CapNone, which every app has).
func granting(caps ...abi.Capability) func(abi.Capability) bool {
	return func(c abi.Capability) bool {
		for _, g := range caps {
			if g == c {
				return true
			}
		}
		return c == abi.CapNone
	}
}

var everything = granting(abi.CapLog, abi.CapClock, abi.CapKV, abi.CapPublish, abi.CapMAVLink, abi.CapWASI)

func TestImports(t *testing.T) {
	rt, host := newHost(t)
	for name, tc := range map[string]struct {
		module []byte
		grants func(abi.Capability) bool
		reason refusal.Reason // "" accepted
		msg    string
	}{
		"all granted":        {fixtures.Counter.Wasm(), everything, "", ""},
		"wasi granted":       {fixtures.WASIHello.Wasm(), everything, "", ""},
		"undefined function": {fixtures.UnknownImport.Wasm(), everything, abi.ReasonUnknownImport, "imports wasmbed.launch_missiles, which the device does not define (the wasmbed functions are listed in sut/abi/README.md)"},
		"kv not granted": {fixtures.KVNoCap.Wasm(), granting(abi.CapLog, abi.CapClock), abi.ReasonImportNotGranted,
			"imports wasmbed.kv_set, which needs the kv capability; the Application does not request it"},
		"wasi not granted": {fixtures.WASIHello.Wasm(), granting(), abi.ReasonImportNotGranted,
			"imports wasi_snapshot_preview1.fd_write, which needs the wasi capability; the Application does not request it"},
		"globals and tables": {importsModule, everything, abi.ReasonUnknownImport,
			"imports the global env.g; the device provides only functions; imports the table env.t; the device provides only functions"},
		"a memory": {memoryImportModule, everything, abi.ReasonUnknownImport, "imports the memory env.memory; an app must define its own memory"},
	} {
		cm, err := rt.CompileModule(context.Background(), tc.module)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		l, err := Inspect(tc.module)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		err = Imports("app", tc.grants, cm, l, host)
		switch {
		case tc.reason == "" && err != nil:
			t.Errorf("%s: refused: %v", name, err)
		case tc.reason == "":
		case abi.ReasonOf(err) != tc.reason || !strings.Contains(err.Error(), tc.msg):
			t.Errorf("%s: got %v, want %s: ...%s", name, err, tc.reason, tc.msg)
		default:
			if e := err.(*abi.Error); !e.Permanent || e.App != "app" {
				t.Errorf("%s: %+v is not a permanent refusal of app", name, e)
			}
		}
	}
}
