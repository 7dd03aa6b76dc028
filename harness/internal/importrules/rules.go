// Package importrules holds the repository's import rules as data, and
// the test that enforces them (TestImportRules, run by `make unit`): which
// packages of the module each tree may link, its tests included. They
// make README.md's "Data flows one way" true: the SUT links neither the
// device firmware nor the harness, the firmware and the harness link only
// the SUT's contract packages, and everything else is reached through the
// SUT's public interfaces (the Kubernetes API, the device protocol,
// MAVLink).
//
// A rule is checked against `go list -deps -test <root>`: the root's
// packages, their tests and everything they import, directly or not. A
// violation names the forbidden package and the chain of imports that
// reaches it.
package importrules

import "strings"

// Rule forbids the packages under Root, and their tests, to depend on a
// package of the module under one of Forbidden, unless it is under one of
// Allowed. Paths are relative to the module ("sut/gateway"), and "under"
// means the path itself or below it: "sut/module" does not cover
// "sut/modulecheck".
type Rule struct {
	// Root is a go list pattern, relative to the repository root.
	Root      string
	Forbidden []string
	Allowed   []string
	// Why says what the rule protects, for the failure message.
	Why string
}

// contracts are the SUT's contract packages, which the firmware and the
// harness share with it.
var contracts = []string{
	"sut/api",         // the Kubernetes API: types, scheme
	"sut/protocol",    // the device protocol
	"sut/abi",         // the host ABI, app limits and failure reasons
	"sut/refusal",     // reason codes and refusal stages
	"sut/modulecheck", // module validation, as a device judges a module
}

// Rules are the repository's import rules. Add a row for a tree that
// must stay below another (qemu-images below the harness, say).
var Rules = []Rule{
	{
		Root:      "./sut/...",
		Forbidden: []string{"firmware", "harness"},
		Why:       "the SUT never links device code or the harness: what both sides speak lives in sut/ contract packages",
	},
	{
		Root:      "./firmware/...",
		Forbidden: []string{"harness", "sut"},
		Allowed:   contracts,
		Why:       "the firmware speaks to the SUT through its contract packages, and never links the harness",
	},
	{
		Root:      "./harness/...",
		Forbidden: []string{"sut"},
		// sut/pki: the attack library forges certificates with it and the
		// testbed reads the CA; issue 16 moves them off it.
		Allowed: append([]string{"sut/pki"}, contracts...),
		Why:     "the harness drives the SUT through its public interfaces and contract packages, never its components (gateway, controller, vehiclebridge, module, cmd)",
	},
	{
		Root:      "./scenarios/...",
		Forbidden: []string{"sut"},
		// sut/pki: the gateways spec reads the CA; issue 16 moves it off.
		Allowed: append([]string{"sut/pki"}, contracts...),
		Why:     "the scenarios drive the SUT through its public interfaces and contract packages, never its components",
	},
}

// Violates reports whether a dependency on pkg (a path relative to the
// module) breaks r.
func (r Rule) Violates(pkg string) bool {
	return under(pkg, r.Forbidden) && !under(pkg, r.Allowed)
}

func under(pkg string, prefixes []string) bool {
	for _, p := range prefixes {
		if pkg == p || strings.HasPrefix(pkg, p+"/") {
			return true
		}
	}
	return false
}
