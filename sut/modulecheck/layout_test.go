package modulecheck

import (
	"slices"
	"testing"

	fixtures "github.com/wasmbed/wasmbed/fixtures/apps"
)

// importsModule is
//
//	(module
//	  (import "env" "g" (global i32))
//	  (import "env" "t" (table 1 funcref))
//	  (func (export "init")))
var importsModule = []byte{
	0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
	0x01, 0x04, 0x01, 0x60, 0x00, 0x00,
	0x02, 0x14, 0x02,
	0x03, 'e', 'n', 'v', 0x01, 'g', 0x03, 0x7f, 0x00,
	0x03, 'e', 'n', 'v', 0x01, 't', 0x01, 0x70, 0x00, 0x01,
	0x03, 0x02, 0x01, 0x00,
	0x07, 0x08, 0x01, 0x04, 'i', 'n', 'i', 't', 0x00, 0x00,
	0x0a, 0x04, 0x01, 0x02, 0x00, 0x0b,
}

// memoryImportModule is (module (import "env" "memory" (memory 1)) (func (export "init"))).
var memoryImportModule = []byte{
	0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
	0x01, 0x04, 0x01, 0x60, 0x00, 0x00,
	0x02, 0x0f, 0x01,
	0x03, 'e', 'n', 'v', 0x06, 'm', 'e', 'm', 'o', 'r', 'y', 0x02, 0x00, 0x01,
	0x03, 0x02, 0x01, 0x00,
	0x07, 0x08, 0x01, 0x04, 'i', 'n', 'i', 't', 0x00, 0x00,
	0x0a, 0x04, 0x01, 0x02, 0x00, 0x0b,
}

func TestInspect(t *testing.T) {
	for _, tc := range []struct {
		module  []byte
		want    Layout
		imports []string
	}{
		{fixtures.Loop.Wasm(), Layout{}, nil},
		{fixtures.MemBomb.Wasm(), Layout{HasMemory: true, MinPages: 1}, nil},
		{fixtures.Large.Wasm(), Layout{HasMemory: true, MinPages: 5}, nil},
		{importsModule, Layout{}, []string{"global env.g", "table env.t"}},
		{memoryImportModule, Layout{}, nil},
	} {
		got, err := Inspect(tc.module)
		if err != nil {
			t.Fatal(err)
		}
		if got.HasMemory != tc.want.HasMemory || got.MinPages != tc.want.MinPages || got.HasStart ||
			!slices.Equal(got.TableOrGlobalImports, tc.imports) {
			t.Errorf("got %+v, want %+v with imports %v", got, tc.want, tc.imports)
		}
	}
	for n := 0; n < len(importsModule); n++ {
		Inspect(importsModule[:n]) // must not panic on any truncation
	}
	if _, err := Inspect([]byte{0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x05, 0x80}); err == nil {
		t.Error("a truncated section was accepted")
	}
}
