package protocol

import (
	"testing"

	"github.com/wasmbed/wasmbed/sut/refusal/refusaltest"
)

// The codes are a contract: the list is complete, and the specification
// names each one.
func TestReasons(t *testing.T) {
	refusaltest.CheckListed(t, "reasons.go", Reasons())
	refusaltest.CheckDocumented(t, "README.md", "## Error codes", Reasons())
}
