package abi

import "strings"

// Import module names an app may use.
const (
	// ModuleName is the import module of the host functions below.
	ModuleName = "wasmbed"
	// WASIModuleName is WASI preview1, importable with CapWASI.
	WASIModuleName = "wasi_snapshot_preview1"
)

// ValueType is a WebAssembly value type, encoded as in the binary format
// (and as wazero's api.ValueType).
type ValueType byte

// The value types the ABI uses. Pointers and lengths are i32.
const (
	I32 ValueType = 0x7f
	I64 ValueType = 0x7e
)

// String returns the type's name in WebAssembly text, e.g. "i32".
func (t ValueType) String() string {
	switch t {
	case I32:
		return "i32"
	case I64:
		return "i64"
	}
	return "unknown"
}

// Host function names.
const (
	FuncLog            = "log"
	FuncClockMs        = "clock_ms"
	FuncTimeUnixMs     = "time_unix_ms"
	FuncSleepMs        = "sleep_ms"
	FuncYield          = "yield"
	FuncKVGet          = "kv_get"
	FuncKVSet          = "kv_set"
	FuncKVDelete       = "kv_delete"
	FuncPublish        = "publish"
	FuncConfigGet      = "config_get"
	FuncDeviceInfo     = "device_info"
	FuncVehicleCommand = "vehicle_command"
)

// Function is one host function of the wasmbed module.
type Function struct {
	Name       string
	Params     []ValueType
	Results    []ValueType
	Capability Capability
}

// Signature formats the function type, e.g. "(i32, i32) -> i32".
func (f Function) Signature() string { return Signature(f.Params, f.Results) }

// Signature formats a function type the way the specification does.
func Signature(params, results []ValueType) string {
	var b strings.Builder
	b.WriteString("(")
	for i, p := range params {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(p.String())
	}
	b.WriteString(") -> ")
	switch len(results) {
	case 0:
		b.WriteString("()")
	case 1:
		b.WriteString(results[0].String())
	default:
		b.WriteString("(")
		for i, r := range results {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(r.String())
		}
		b.WriteString(")")
	}
	return b.String()
}

func sig(params ...ValueType) []ValueType { return params }

var functions = []Function{
	{FuncLog, sig(I32, I32, I32), nil, CapLog},
	{FuncClockMs, nil, sig(I64), CapClock},
	{FuncTimeUnixMs, nil, sig(I64), CapClock},
	{FuncSleepMs, sig(I32), nil, CapClock},
	{FuncYield, nil, nil, CapClock},
	{FuncKVGet, sig(I32, I32, I32, I32), sig(I32), CapKV},
	{FuncKVSet, sig(I32, I32, I32, I32), sig(I32), CapKV},
	{FuncKVDelete, sig(I32, I32), sig(I32), CapKV},
	{FuncPublish, sig(I32, I32, I32, I32), sig(I32), CapPublish},
	{FuncConfigGet, sig(I32, I32, I32, I32), sig(I32), CapNone},
	{FuncDeviceInfo, sig(I32, I32), sig(I32), CapNone},
	{FuncVehicleCommand, sig(I32, I32), sig(I32), CapMAVLink},
}

// Functions returns every host function, in specification order.
func Functions() []Function {
	out := make([]Function, len(functions))
	copy(out, functions)
	return out
}

// Lookup returns the host function with the given name.
func Lookup(name string) (Function, bool) {
	for _, f := range functions {
		if f.Name == name {
			return f, true
		}
	}
	return Function{}, false
}
