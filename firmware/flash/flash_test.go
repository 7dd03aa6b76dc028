package flash

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestDirWriteReadListRemove(t *testing.T) {
	d := Dir(t.TempDir())
	if _, err := d.Read("apps/a.wasm"); !errors.Is(err, ErrNotExist) {
		t.Fatalf("read missing: %v", err)
	}
	for _, v := range []string{"v1", "v2"} {
		if err := d.Write("apps/a.wasm", []byte(v)); err != nil {
			t.Fatal(err)
		}
		got, err := d.Read("apps/a.wasm")
		if err != nil || string(got) != v {
			t.Fatalf("read %q, %v; want %q", got, err, v)
		}
	}
	// A temporary file left by a write interrupted before its rename must
	// not show up as an app.
	if err := os.WriteFile(filepath.Join(string(d), "apps", ".b.wasm.tmp-123"), []byte("torn"), 0o600); err != nil {
		t.Fatal(err)
	}
	names, err := d.List("apps")
	if err != nil || len(names) != 1 || names[0] != "a.wasm" {
		t.Fatalf("list = %v, %v", names, err)
	}
	if err := d.Remove("apps/a.wasm"); err != nil {
		t.Fatal(err)
	}
	if err := d.Remove("apps/a.wasm"); err != nil {
		t.Fatalf("second remove: %v", err)
	}
}

func TestDirStaysInside(t *testing.T) {
	root := t.TempDir()
	d := Dir(filepath.Join(root, "flash"))
	if err := d.Write("../../escape", []byte("x")); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "flash", "escape")); err != nil {
		t.Fatalf("write was not confined to the flash directory: %v", err)
	}
}
