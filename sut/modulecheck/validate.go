package modulecheck

import (
	"context"
	"strings"

	"github.com/tetratelabs/wazero"

	"github.com/wasmbed/wasmbed/sut/abi"
)

// Validate compiles module as a device with the given wasm features would,
// without instantiating it, and reports why it cannot run there (reason
// abi.ReasonInvalidModule). A gateway calls it before sending a module, so
// an invalid module never reaches a device. Compilation in the interpreter
// validates exactly what the compiler does, and is cheaper.
func Validate(ctx context.Context, module []byte, features []string) error {
	f, err := CoreFeatures(features)
	if err != nil {
		return &abi.Error{Reason: abi.ReasonInvalidModule, Message: err.Error(), Err: err}
	}
	rt := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigInterpreter().WithCoreFeatures(f))
	defer rt.Close(ctx)
	cm, err := rt.CompileModule(ctx, module)
	if err != nil {
		return &abi.Error{Reason: abi.ReasonInvalidModule, Message: "the module does not validate against the device's wasm features (" + joinFeatures(features) + "): " + err.Error(), Err: err}
	}
	return cm.Close(ctx)
}

func joinFeatures(fs []string) string {
	if len(fs) == 0 {
		return "WebAssembly 2.0"
	}
	return strings.Join(fs, ", ")
}
