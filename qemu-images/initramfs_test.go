package qemuimages

import (
	"bytes"
	"errors"
	"io"
	"testing"

	"github.com/cavaliergopher/cpio"
)

func sampleFiles() []File {
	return []File{
		{Path: "lib/modules/6.1.0/kernel/fs/ext4/ext4.ko", Mode: 0o644, Data: []byte("module")},
		{Path: "/init", Mode: 0o755, Data: bytes.Repeat([]byte{0x7f, 'E', 'L', 'F'}, 1000)},
		{Path: "lib/modules/wasmbed.load", Mode: 0o644, Data: []byte("/lib/modules/6.1.0/kernel/fs/ext4/ext4.ko\n")},
		{Path: "etc/empty", Mode: 0o600},
	}
}

// The same files, in any order, must give the same bytes.
func TestInitramfsReproducible(t *testing.T) {
	var a, b bytes.Buffer
	files := sampleFiles()
	if err := WriteInitramfs(&a, files); err != nil {
		t.Fatal(err)
	}
	reversed := make([]File, len(files))
	for i, f := range files {
		reversed[len(files)-1-i] = f
	}
	if err := WriteInitramfs(&b, reversed); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Fatal("two builds of the same files differ")
	}
	if !bytes.HasPrefix(a.Bytes(), []byte("070701")) {
		t.Fatal("not a newc archive")
	}
}

func TestInitramfsContent(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteInitramfs(&buf, sampleFiles()); err != nil {
		t.Fatal(err)
	}
	r := cpio.NewReader(&buf)
	var names []string
	for {
		h, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, h.Name)
		if h.ModTime.Unix() != 0 || h.Uid != 0 || h.Guid != 0 {
			t.Errorf("%s: mtime %d uid %d gid %d, want all 0", h.Name, h.ModTime.Unix(), h.Uid, h.Guid)
		}
		switch h.Name {
		case "init":
			data, _ := io.ReadAll(r)
			if h.Mode.Perm() != 0o755 || !h.Mode.IsRegular() || len(data) != 4000 {
				t.Errorf("init: mode %v, %d bytes", h.Mode, len(data))
			}
		case "lib", "lib/modules", "etc":
			if !h.Mode.IsDir() {
				t.Errorf("%s is not a directory", h.Name)
			}
		}
	}
	want := []string{"etc", "etc/empty", "init", "lib", "lib/modules", "lib/modules/6.1.0", "lib/modules/6.1.0/kernel",
		"lib/modules/6.1.0/kernel/fs", "lib/modules/6.1.0/kernel/fs/ext4", "lib/modules/6.1.0/kernel/fs/ext4/ext4.ko",
		"lib/modules/wasmbed.load"}
	if len(names) != len(want) {
		t.Fatalf("entries %q, want %q", names, want)
	}
	for i := range want {
		if names[i] != want[i] {
			t.Fatalf("entries %q, want %q", names, want)
		}
	}
}

func TestInitramfsRejects(t *testing.T) {
	for _, files := range [][]File{
		{{Path: "a"}, {Path: "/a"}},
		{{Path: "a"}, {Path: "a/b"}},
		{{Path: "/"}},
	} {
		if err := WriteInitramfs(io.Discard, files); err == nil {
			t.Errorf("%v accepted", files)
		}
	}
}
