package refusal_test

import (
	"testing"

	"github.com/wasmbed/wasmbed/sut/refusal"
	"github.com/wasmbed/wasmbed/sut/refusal/refusaltest"
)

func TestReasonsAreListed(t *testing.T) {
	refusaltest.CheckListed(t, "reasons.go", refusal.Reasons())
}

func TestStagesAreDistinct(t *testing.T) {
	seen := map[refusal.Stage]bool{}
	for _, s := range refusal.Stages() {
		if seen[s] || s == "" {
			t.Errorf("stage %q is empty or listed twice", s)
		}
		seen[s] = true
	}
}
