package module

import (
	"context"
	"testing"

	fixtures "github.com/wasmbed/wasmbed/fixtures/apps"
)

func TestValidatorRemembersVerdicts(t *testing.T) {
	var v Validator
	ctx := context.Background()
	good := fixtures.Hello
	if err := v.Validate(ctx, good.Wasm(), good.Digest(), []string{"simd", "bulk-memory"}); err != nil {
		t.Fatal(err)
	}
	bad := fixtures.Truncated
	if err := v.Validate(ctx, bad.Wasm(), bad.Digest(), nil); err == nil {
		t.Fatal("a truncated module validated")
	}
	// The verdict is remembered per digest and feature set, whatever the
	// order the features come in: the bytes are not looked at again.
	if err := v.Validate(ctx, nil, good.Digest(), []string{"bulk-memory", "simd"}); err != nil {
		t.Fatalf("remembered verdict lost: %v", err)
	}
	if err := v.Validate(ctx, nil, bad.Digest(), nil); err == nil {
		t.Fatal("remembered refusal lost")
	}
}
