package abi

import "github.com/wasmbed/wasmbed/sut/refusal"

// Reasons a device gives for an app that failed or was refused. They are
// stable codes: they appear in DeployResult messages, in the Device's
// status.apps[].reason and the Application's status.devices[].reason, and
// tools match on them. Never rename one.
//
// They live here rather than in the device runtime so that the gateway, the
// controller and tools can name them without linking the runtime. The
// gateway counts a device's app failures in its refusal counter with stage
// refusal.StageApp, and its own refusals of a module with
// refusal.StageDeploy.
const (
	// ReasonTimeout: a call into the app (init, tick, on_message, alloc) ran
	// longer than the Application's maxExecutionTime.
	ReasonTimeout refusal.Reason = "Timeout"
	// ReasonMemoryLimit: the app asked for more linear memory than
	// maxMemoryPages (it declared more, or memory.grow was refused and it
	// then trapped).
	ReasonMemoryLimit refusal.Reason = "MemoryLimit"
	// ReasonTrap: the app trapped (unreachable, out-of-bounds access,
	// division by zero, stack overflow, a host call with a bad pointer...).
	ReasonTrap refusal.Reason = "Trap"
	// ReasonExit: the app called WASI proc_exit with a non-zero code.
	ReasonExit refusal.Reason = "Exit"
	// ReasonUnknownImport: the module imports something the device does not
	// provide: an undefined wasmbed function, a wrong signature, another
	// module, a memory, table or global.
	ReasonUnknownImport refusal.Reason = "UnknownImport"
	// ReasonImportNotGranted: the module imports a host function whose
	// capability the Application does not grant.
	ReasonImportNotGranted refusal.Reason = "ImportNotGranted"
	// ReasonInvalidModule: the module does not decode or validate, uses a
	// WebAssembly feature the device does not support, has a digest other
	// than announced, or lacks what the app model requires.
	ReasonInvalidModule refusal.Reason = "InvalidModule"
	// ReasonInvalidSpec: the app's spec is unusable (bad name, bad config
	// value, unknown restart policy...).
	ReasonInvalidSpec refusal.Reason = "InvalidSpec"
	// ReasonStorage: the device could not persist the app.
	ReasonStorage refusal.Reason = "StorageError"
	// ReasonSignatureMissing: the device (its profile, or its Device spec)
	// requires signed modules and the module carries no signature.
	ReasonSignatureMissing refusal.Reason = "SignatureMissing"
	// ReasonSignatureInvalid: the module's signature does not verify
	// against any key the device trusts (Gateway.spec.trustedModuleKeys,
	// Device.spec.capabilities.trustedModuleKeys), or no key is trusted:
	// a tampered module, or one signed by an unknown key.
	ReasonSignatureInvalid refusal.Reason = "SignatureInvalid"
)

// Reasons lists every app reason above. ReasonVehicleCommandRejected,
// which only the gateway writes, is in vehicle_results.go.
func Reasons() []refusal.Reason {
	return []refusal.Reason{
		ReasonTimeout, ReasonMemoryLimit, ReasonTrap, ReasonExit, ReasonUnknownImport, ReasonImportNotGranted,
		ReasonInvalidModule, ReasonInvalidSpec, ReasonStorage, ReasonSignatureMissing, ReasonSignatureInvalid,
	}
}
