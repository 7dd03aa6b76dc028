package flashdisk

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/wasmbed/wasmbed/firmware/flash"
)

// needTools fails, not skips, without e2fsprogs: `make deps` installs it,
// and every QEMU device's flash disk needs it.
func needTools(t *testing.T) {
	t.Helper()
	for _, name := range []string{"mkfs.ext4", "debugfs", "e2fsck"} {
		if _, err := tool(name); err != nil {
			t.Fatal(err)
		}
	}
}

func TestCreateReadListWipe(t *testing.T) {
	needTools(t)
	ctx := context.Background()
	img := filepath.Join(t.TempDir(), "flash.img")
	files := Provisioning([]byte("-----BEGIN CERTIFICATE-----\nxyz\n-----END CERTIFICATE-----\n"), "tok-123")
	files["apps/hello.wasm"] = []byte("\x00asm\x01\x00\x00\x00")
	files["apps/hello.json"] = []byte(`{"name":"hello"}`)
	if err := Create(ctx, img, Options{SizeMiB: 16, Files: files}); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(img)
	if err != nil || st.Size() != 16<<20 {
		t.Fatalf("image %v, %v", st, err)
	}
	for name, want := range files {
		got, err := ReadFile(ctx, img, name)
		if err != nil || string(got) != string(want) {
			t.Fatalf("%s: got %q, %v; want %q", name, got, err, want)
		}
	}
	if _, err := ReadFile(ctx, img, flash.IdentityKey); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("missing file: %v, want ErrNotExist", err)
	}
	names, err := List(ctx, img, flash.AppsDir)
	if err != nil || !reflect.DeepEqual(names, []string{"hello.json", "hello.wasm"}) {
		t.Fatalf("list: %v, %v", names, err)
	}
	if names, err := List(ctx, img, "nothing-here"); err != nil || names != nil {
		t.Fatalf("list of a missing dir: %v, %v", names, err)
	}

	if err := Wipe(ctx, img); err != nil {
		t.Fatal(err)
	}
	if names, _ := List(ctx, img, flash.AppsDir); len(names) != 0 {
		t.Fatalf("apps survived the factory reset: %v", names)
	}
	if got, err := ReadFile(ctx, img, flash.ProvisionToken); err != nil || string(got) != "tok-123" {
		t.Fatalf("token after wipe: %q, %v", got, err)
	}
	if st, _ := os.Stat(img); st.Size() != 16<<20 {
		t.Fatalf("wipe changed the size to %d", st.Size())
	}
}

func TestCreateRejects(t *testing.T) {
	needTools(t)
	dir := t.TempDir()
	if err := Create(context.Background(), filepath.Join(dir, "a.img"), Options{SizeMiB: 4}); err == nil {
		t.Fatal("4 MiB accepted")
	}
	if err := Create(context.Background(), filepath.Join(dir, "b.img"), Options{Files: map[string][]byte{"/": nil}}); err == nil {
		t.Fatal("bad path accepted")
	}
	if _, err := ReadFile(context.Background(), filepath.Join(dir, "none.img"), "x"); err == nil {
		t.Fatal("missing image accepted")
	}
}
