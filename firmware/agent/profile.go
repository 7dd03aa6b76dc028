package agent

import "runtime"

// Profile describes a device's hardware and runtime.
type Profile struct {
	// Name is the profile name recorded in Device.spec.profile.
	Name string
	// Arch is the instruction set (arm64, riscv64, x86_64, xtensa).
	Arch string
	// MemoryBytes is the RAM apps may use.
	MemoryBytes uint64
	// WasmFeatures lists supported WebAssembly proposals.
	WasmFeatures []string
	// Interpreter forces wazero's interpreter, as on devices without a
	// supported compiler target.
	Interpreter bool
	// RequireSignedModules refuses modules without a trusted signature.
	RequireSignedModules bool
}

var coreFeatures = []string{"mutable-global", "sign-extension-ops", "nontrapping-float-to-int", "multi-value", "bulk-memory", "reference-types", "simd"}

// Profiles are the built-in device profiles.
var Profiles = map[string]Profile{
	// process: a host process, with the host's architecture.
	"process": {Name: "process", Arch: hostArch(), MemoryBytes: 256 << 20, WasmFeatures: coreFeatures},
	// esp32-sim: an ESP32-class device. Debian ships no QEMU for Xtensa, so
	// it runs as a process with ESP32-like limits: 320 KiB of RAM for apps,
	// no SIMD, the interpreter only.
	"esp32-sim": {Name: "esp32-sim", Arch: "xtensa", MemoryBytes: 320 << 10, WasmFeatures: []string{"mutable-global", "sign-extension-ops", "multi-value", "bulk-memory"}, Interpreter: true},
	// QEMU guest profiles (64–128 MiB of RAM). They use the interpreter:
	// wazero's compiler lets a recursing app's call stack grow to 400 MB
	// before it traps, which would take the whole guest down (the kernel
	// panics out of memory) instead of failing one app; the interpreter's
	// 2000-frame ceiling keeps a runaway recursion an app failure. riscv64
	// has only the interpreter anyway.
	"arm64-virt":     {Name: "arm64-virt", Arch: "arm64", MemoryBytes: 32 << 20, WasmFeatures: coreFeatures, Interpreter: true},
	"riscv64-virt":   {Name: "riscv64-virt", Arch: "riscv64", MemoryBytes: 64 << 20, WasmFeatures: coreFeatures, Interpreter: true},
	"x86_64-microvm": {Name: "x86_64-microvm", Arch: "x86_64", MemoryBytes: 64 << 20, WasmFeatures: coreFeatures, Interpreter: true},
}

func hostArch() string {
	switch runtime.GOARCH {
	case "amd64":
		return "x86_64"
	case "arm64":
		return "arm64"
	case "riscv64":
		return "riscv64"
	}
	return runtime.GOARCH
}
