package modulecheck

import (
	"context"
	"strings"
	"testing"

	fixtures "github.com/wasmbed/wasmbed/fixtures/apps"
	"github.com/wasmbed/wasmbed/sut/abi"
)

// multiValueModule has a function returning two values, which needs the
// multi-value feature:
//
//	(module (func (result i32 i32) i32.const 1 i32.const 2))
var multiValueModule = []byte{
	0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
	0x01, 0x06, 0x01, 0x60, 0x00, 0x02, 0x7f, 0x7f, // type () -> (i32, i32)
	0x03, 0x02, 0x01, 0x00, // one function of type 0
	0x0a, 0x08, 0x01, 0x06, 0x00, 0x41, 0x01, 0x41, 0x02, 0x0b, // i32.const 1; i32.const 2
}

func TestValidate(t *testing.T) {
	ctx := context.Background()
	for name, tc := range map[string]struct {
		module   []byte
		features []string
		refused  string // "" accepted; else a fragment of the message
	}{
		"MVP module, 2.0 device":             {fixtures.Hello.Wasm(), nil, ""},
		"MVP module, 1.0 device":             {fixtures.Hello.Wasm(), []string{"mutable-global"}, ""},
		"multi-value, a device with it":      {multiValueModule, []string{"multi-value"}, ""},
		"multi-value, a device without it":   {multiValueModule, []string{"mutable-global", "simd"}, "against the device's wasm features (mutable-global, simd)"},
		"not a module":                       {fixtures.Truncated.Wasm(), nil, "against the device's wasm features (WebAssembly 2.0)"},
		"a feature the CRD does not know of": {fixtures.Hello.Wasm(), []string{"threads"}, `unknown wasm feature "threads"`},
	} {
		err := Validate(ctx, tc.module, tc.features)
		switch {
		case tc.refused == "" && err != nil:
			t.Errorf("%s: refused: %v", name, err)
		case tc.refused != "" && (abi.ReasonOf(err) != abi.ReasonInvalidModule || !strings.Contains(err.Error(), tc.refused)):
			t.Errorf("%s: got %v, want InvalidModule saying %q", name, err, tc.refused)
		}
	}
}

func TestFeatureNames(t *testing.T) {
	f, err := CoreFeatures([]string{"simd", "bulk-memory"})
	if err != nil {
		t.Fatal(err)
	}
	if got := FeatureNames(f); got != "bulk-memory, simd" {
		t.Errorf("FeatureNames = %q", got)
	}
	none, _ := CoreFeatures([]string{"mutable-global"})
	if got := FeatureNames(none &^ none); got != "none beyond WebAssembly 1.0" {
		t.Errorf("no features: %q", got)
	}
	all, _ := CoreFeatures(nil)
	if got := FeatureNames(all); strings.Count(got, ",") != len(featureFlags)-1 {
		t.Errorf("WebAssembly 2.0 is not every feature: %q", got)
	}
}
