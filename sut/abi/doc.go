// Package abi defines the contract between a Wasmbed app and the device that
// runs it: the functions of the "wasmbed" host module with the capability
// each needs, the exports the device calls, the codes host functions
// return, and the reasons a device gives when an app fails.
//
// It also holds what both sides of the platform say about apps: the
// defaults of an app's limits, the reasons a device gives when an app fails
// or is refused, and Error, which carries one.
//
// README.md in this directory is the specification; this package is its
// machine-readable half. It is one of the platform's contract packages:
// the device runtime (firmware/apps) implements it, and the gateway, the
// controller, sut/modulecheck (which judges a module against an
// Application before it reaches a device) and the harness share the same
// tables without linking the device runtime. The package depends on
// nothing but the standard library and sut/refusal, so sharing it is
// cheap.
package abi
