package apps

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strings"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"

	"github.com/wasmbed/wasmbed/sut/abi"
	"github.com/wasmbed/wasmbed/sut/modulecheck"
	"github.com/wasmbed/wasmbed/sut/refusal"
)

// program is a module compiled and checked against its spec: everything
// that can be known about an app before it runs. Restarts reuse it.
type program struct {
	compiled wazero.CompiledModule
	layout   modulecheck.Layout
	// Exports the device calls.
	initialize, start, init, tick, onMessage, alloc bool
}

func (p *program) close(ctx context.Context) {
	if p != nil && p.compiled != nil {
		_ = p.compiled.Close(ctx)
	}
}

// compile checks module against spec and compiles it. Every refusal is an
// *abi.Error whose reason says what to fix.
func (e *engine) compile(ctx context.Context, spec Spec, module []byte) (*program, error) {
	refuse := func(reason refusal.Reason, format string, args ...any) error {
		err := failf(spec.Name, reason, format, args...)
		err.Permanent = true
		return err
	}
	sum := sha256.Sum256(module)
	if got := hex.EncodeToString(sum[:]); got != spec.Digest {
		return nil, refuse(abi.ReasonInvalidModule, "the module's sha256 is %s, not the announced %s", got, spec.Digest)
	}
	compiled, err := e.rt.CompileModule(ctx, module)
	if err != nil {
		msg := err.Error()
		if strings.Contains(msg, "feature") && strings.Contains(msg, "disabled") {
			return nil, refuse(abi.ReasonInvalidModule, "%s: this device supports %s", msg, modulecheck.FeatureNames(e.features))
		}
		return nil, refuse(abi.ReasonInvalidModule, "not a valid WebAssembly module: %s", msg)
	}
	p := &program{compiled: compiled}
	if err := p.check(e, spec, module); err != nil {
		p.close(ctx)
		return nil, err
	}
	return p, nil
}

func (p *program) check(e *engine, spec Spec, module []byte) error {
	refuse := func(reason refusal.Reason, format string, args ...any) error {
		err := failf(spec.Name, reason, format, args...)
		err.Permanent = true
		return err
	}
	var err error
	if p.layout, err = modulecheck.Inspect(module); err != nil {
		return refuse(abi.ReasonInvalidModule, "cannot read the module's sections: %v", err)
	}
	if err := modulecheck.Imports(spec.Name, spec.Capabilities.Grants, p.compiled, p.layout, e.host); err != nil {
		return err
	}
	if limit := spec.Limits.MaxMemoryPages; p.layout.MinPages > limit {
		return refuse(abi.ReasonMemoryLimit, "the module declares %d pages (%d KiB) of initial memory, more than maxMemoryPages %d (%d KiB)",
			p.layout.MinPages, p.layout.MinPages*64, limit, limit*64)
	}

	fns := p.compiled.ExportedFunctions()
	for _, want := range abi.Exports() {
		def, ok := fns[want.Name]
		if !ok {
			continue
		}
		if !sameTypes(def.ParamTypes(), want.Params) || !sameTypes(def.ResultTypes(), want.Results) {
			return refuse(abi.ReasonInvalidModule, "exports %s with type %s; the device calls it as %s",
				want.Name, modulecheck.Signature(def), abi.Signature(want.Params, want.Results))
		}
	}
	has := func(name string) bool { _, ok := fns[name]; return ok }
	p.initialize, p.start, p.init = has(abi.ExportInitialize), has(abi.ExportStart), has(abi.ExportInit)
	p.tick, p.onMessage, p.alloc = has(abi.ExportTick), has(abi.ExportOnMessage), has(abi.ExportAlloc)

	switch {
	case !p.init && !p.tick && p.start && !spec.Capabilities.WASI:
		return refuse(abi.ReasonInvalidModule, "the module is a WASI command (it exports _start and neither init nor tick), "+
			"but the Application does not grant the wasi capability: grant wasi, or export init or tick")
	case !p.init && !p.tick && !p.start:
		return refuse(abi.ReasonInvalidModule, "the module exports none of init, tick or _start, so there is nothing to run")
	case p.onMessage && !p.alloc:
		return refuse(abi.ReasonInvalidModule, "the module exports on_message but not alloc, which the device needs to place messages in linear memory")
	case p.onMessage && !p.layout.HasMemory:
		return refuse(abi.ReasonInvalidModule, "the module exports on_message but has no linear memory to receive messages in")
	case len(spec.Capabilities.Subscribe) > 0 && !p.onMessage:
		return refuse(abi.ReasonInvalidModule, "the Application subscribes to %s but the module exports no on_message to receive them",
			strings.Join(spec.Capabilities.Subscribe, ", "))
	}
	return nil
}

func sameTypes(got []api.ValueType, want []abi.ValueType) bool {
	return slices.Equal(got, modulecheck.ValueTypes(want))
}
