package apps

import (
	"context"
	"fmt"
	"sync/atomic"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"

	"github.com/wasmbed/wasmbed/sut/abi"
	"github.com/wasmbed/wasmbed/sut/modulecheck"
)

// engine is the device's one wazero runtime with its host modules
// instantiated: wasmbed and WASI preview1. Apps are instances in it.
type engine struct {
	rt       wazero.Runtime
	features api.CoreFeatures
	// host holds the host modules' function definitions, for checking an
	// app's imports against them.
	host modulecheck.Host
	// seq makes instance names unique within the runtime.
	seq atomic.Uint64
}

func newEngine(ctx context.Context, o Options) (*engine, error) {
	features, err := modulecheck.CoreFeatures(o.Features)
	if err != nil {
		return nil, err
	}
	cfg := wazero.NewRuntimeConfig()
	if o.Interpreter {
		cfg = wazero.NewRuntimeConfigInterpreter()
	}
	// CloseOnContextDone makes a call's deadline stop even a guest loop
	// that never calls the host.
	cfg = cfg.WithCoreFeatures(features).WithCloseOnContextDone(true)
	e := &engine{rt: wazero.NewRuntimeWithConfig(ctx, cfg), features: features}

	host, err := instantiateHostModule(ctx, e.rt)
	if err != nil {
		e.rt.Close(ctx)
		return nil, fmt.Errorf("apps: instantiate the %s host module: %w", abi.ModuleName, err)
	}
	e.host.Wasmbed = host.ExportedFunctionDefinitions()
	if _, err := wasi_snapshot_preview1.Instantiate(ctx, e.rt); err != nil {
		e.rt.Close(ctx)
		return nil, fmt.Errorf("apps: instantiate WASI: %w", err)
	}
	e.host.WASI = e.rt.Module(wasi_snapshot_preview1.ModuleName).ExportedFunctionDefinitions()
	return e, nil
}

func (e *engine) close(ctx context.Context) error { return e.rt.Close(ctx) }
