package abi

import (
	"testing"

	"github.com/wasmbed/wasmbed/sut/refusal/refusaltest"
)

// The app reasons are a contract: the list is complete, and the
// specification's table names each one.
func TestReasons(t *testing.T) {
	refusaltest.CheckListed(t, "reasons.go", Reasons())
	refusaltest.CheckDocumented(t, "README.md", "## Failure reasons", Reasons())
}
