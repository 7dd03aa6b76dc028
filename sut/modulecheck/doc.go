// Package modulecheck judges a WebAssembly module against a device before
// the module runs there: whether it compiles under the device's wasm
// features (Validate, CoreFeatures), whether its imports are what the
// device provides and the Application grants (Imports), and what wazero's
// compiled module does not tell about its layout (Inspect).
//
// Both sides of the platform run these checks with the same code. The
// device runtime (firmware/apps) runs them at install, before a module is
// instantiated, so a refused app never executes an instruction; the
// controller and the gateway run Validate before a module reaches a
// device, so an invalid one is refused for the same reason a device would
// give (abi.ReasonInvalidModule) without being sent. A refusal is an
// *abi.Error whose Reason is one of abi.ReasonInvalidModule,
// abi.ReasonUnknownImport and abi.ReasonImportNotGranted.
//
// The package uses wazero, which the gateway and controller link anyway,
// and none of the device runtime.
package modulecheck
