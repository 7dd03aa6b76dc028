package modulecheck

import (
	"github.com/tetratelabs/wazero/api"

	"github.com/wasmbed/wasmbed/sut/abi"
)

// ValueTypes converts ABI value types to wazero's (the encodings are the
// same: the binary format's).
func ValueTypes(ts []abi.ValueType) []api.ValueType {
	out := make([]api.ValueType, len(ts))
	for i, t := range ts {
		out[i] = api.ValueType(t)
	}
	return out
}

func abiTypes(ts []api.ValueType) []abi.ValueType {
	out := make([]abi.ValueType, len(ts))
	for i, t := range ts {
		out[i] = abi.ValueType(t)
	}
	return out
}

// Signature formats a function's type as the ABI's specification does,
// e.g. "(i32, i32) -> i32".
func Signature(def api.FunctionDefinition) string {
	return abi.Signature(abiTypes(def.ParamTypes()), abiTypes(def.ResultTypes()))
}
