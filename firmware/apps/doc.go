// Package apps is the device's app runtime: it installs, persists, runs,
// restarts and removes the WebAssembly apps a gateway deploys.
//
// One wazero runtime serves the whole device and every app is its own
// module instance in it, so apps share the compiled host modules (the
// wasmbed ABI, see sut/abi, and WASI) but nothing else: each has its
// own linear memory, key-value store, mailbox and goroutine. Every call
// into an app (init, tick, on_message, alloc) runs on that goroutine under
// a deadline, and the runtime is configured to close an instance whose
// context ends, so a loop that never yields is still stopped. A trap, a
// timeout or a refused memory.grow fails only the app that caused it; the
// failure gets a stable reason (abi.Reason*) and the app is restarted with
// exponential backoff as its restart policy allows.
//
// Linear memory is capped per instance, not per runtime: wazero's
// RuntimeConfig.WithMemoryLimitPages applies to every module alike, so the
// runtime passes each instantiation its own experimental.MemoryAllocator,
// which refuses to grow past the app's maxMemoryPages and records the
// refusal, and checks the module's declared initial memory before
// instantiating it.
//
// Imports are checked against the Application's capabilities before a
// module is instantiated, so a refused app never runs a single instruction
// and the reason names the offending import.
//
// # Flash layout
//
// Installed apps live under flash.AppsDir, written through flash.Store,
// whose writes are atomic:
//
//	apps/<name>@<sha256>.wasm   the module, named by its digest
//	apps/<name>.json            the spec; writing it commits the install
//	apps/<name>.kv              the app's key-value store
//
// Install writes the new module under its own digest's name first, then the
// spec that points at it, then removes the old module. A power cut at any
// point leaves either the old spec with its module or the new spec with
// its module; Restore verifies each module's sha256 against its spec and
// deletes whatever no valid spec references. Names longer than 100 bytes
// are shortened with a hash so file names stay within 255 bytes.
package apps
