// Package abi defines the contract between a Wasmbed app and the device that
// runs it: the functions of the "wasmbed" host module with the capability
// each needs, the exports the device calls, the codes host functions
// return, and the reasons a device gives when an app fails.
//
// README.md in this directory is the specification; this package is its
// machine-readable half. The device runtime (firmware/apps) implements it,
// and anything else that wants to judge a module against an Application
// before it reaches a device (a gateway, a linter, a test) can share the
// same tables. The package depends on nothing but the standard library so
// that sharing it is cheap.
package abi
