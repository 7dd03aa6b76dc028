package abi

// Exports a device looks for in an app's module. Every one is optional, but
// an app must export init, tick, or (with CapWASI) _start, or it has nothing
// to run.
const (
	// ExportInitialize is a WASI reactor's initialiser, called first.
	ExportInitialize = "_initialize"
	// ExportStart is a WASI command's entry point, run once as init when the
	// app has CapWASI and exports no init.
	ExportStart = "_start"
	// ExportInit is called once when the app starts.
	ExportInit = "init"
	// ExportTick is called every tick interval.
	ExportTick = "tick"
	// ExportOnMessage receives pub/sub messages:
	// on_message(topic_ptr, topic_len, data_ptr, data_len).
	ExportOnMessage = "on_message"
	// ExportAlloc returns room for size bytes in linear memory: the host
	// copies a message there before calling on_message.
	ExportAlloc = "alloc"
	// ExportMemory is the app's linear memory.
	ExportMemory = "memory"
)

// Export is the function type a device requires of an export.
type Export struct {
	Name    string
	Params  []ValueType
	Results []ValueType
}

var exports = []Export{
	{ExportInitialize, nil, nil},
	{ExportStart, nil, nil},
	{ExportInit, nil, nil},
	{ExportTick, nil, nil},
	{ExportOnMessage, sig(I32, I32, I32, I32), nil},
	{ExportAlloc, sig(I32), sig(I32)},
}

// Exports returns the function exports a device calls, with their types.
func Exports() []Export {
	out := make([]Export, len(exports))
	copy(out, exports)
	return out
}

// Config keys the device itself reads from an Application's config.
const (
	// ConfigTickMs overrides the device's tick interval for one app, in
	// milliseconds (a decimal integer, at least MinTickMs).
	ConfigTickMs = "wasmbed.tick_ms"
)

// MinTickMs is the shortest tick interval an app may ask for.
const MinTickMs = 1
