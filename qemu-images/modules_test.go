package qemuimages

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ulikunitz/xz"
)

// fakeModule returns a minimal ELF relocatable file with a .modinfo
// section, which is all ResolveModules reads.
func fakeModule(t *testing.T, modinfo string) []byte {
	t.Helper()
	info := []byte(modinfo)
	shstr := []byte("\x00.modinfo\x00.shstrtab\x00")
	infoOff := uint64(64)
	strOff := infoOff + uint64(len(info))
	shOff := (strOff + uint64(len(shstr)) + 7) &^ 7
	var b bytes.Buffer
	hdr := elf.Header64{
		Type: uint16(elf.ET_REL), Machine: uint16(elf.EM_X86_64), Version: 1,
		Shoff: shOff, Ehsize: 64, Shentsize: 64, Shnum: 3, Shstrndx: 2,
	}
	copy(hdr.Ident[:], []byte{0x7f, 'E', 'L', 'F', byte(elf.ELFCLASS64), byte(elf.ELFDATA2LSB), 1})
	binary.Write(&b, binary.LittleEndian, hdr)
	b.Write(info)
	b.Write(shstr)
	b.Write(make([]byte, shOff-uint64(b.Len())))
	for _, s := range []elf.Section64{
		{},
		{Name: 1, Type: uint32(elf.SHT_PROGBITS), Off: infoOff, Size: uint64(len(info)), Addralign: 1},
		{Name: 10, Type: uint32(elf.SHT_STRTAB), Off: strOff, Size: uint64(len(shstr)), Addralign: 1},
	} {
		binary.Write(&b, binary.LittleEndian, s)
	}
	return b.Bytes()
}

func writeModule(t *testing.T, dir, rel, depends string) {
	t.Helper()
	data := fakeModule(t, "license=GPL\x00depends="+depends+"\x00vermagic=6.1.0 SMP\x00")
	if strings.HasSuffix(rel, ".xz") {
		var buf bytes.Buffer
		w, err := xz.NewWriter(&buf)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(data)
		w.Close()
		data = buf.Bytes()
	}
	p := filepath.Join(dir, rel)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestResolveModules(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "modules.builtin"), []byte("kernel/crypto/crc32c_generic.ko\nkernel/lib/crc16.ko\n"), 0o644)
	writeModule(t, dir, "kernel/drivers/virtio/virtio.ko", "")
	writeModule(t, dir, "kernel/drivers/virtio/virtio_ring.ko", "virtio")
	writeModule(t, dir, "kernel/drivers/virtio/virtio_mmio.ko", "virtio_ring,virtio")
	writeModule(t, dir, "kernel/drivers/block/virtio_blk.ko.xz", "virtio,virtio_ring")
	writeModule(t, dir, "kernel/fs/jbd2/jbd2.ko.xz", "")
	writeModule(t, dir, "kernel/fs/mbcache.ko.xz", "")
	writeModule(t, dir, "kernel/fs/ext4/ext4.ko.xz", "mbcache,jbd2,crc16")

	mods, err := ResolveModules(dir, []string{"virtio_mmio", "virtio_blk", "crc32c_generic", "ext4"})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, m := range mods {
		got = append(got, m.Name)
	}
	want := "virtio virtio_ring virtio_mmio virtio_blk mbcache jbd2 ext4"
	if strings.Join(got, " ") != want {
		t.Fatalf("load order %q, want %q", strings.Join(got, " "), want)
	}
	if mods[3].RelPath != "kernel/drivers/block/virtio_blk.ko.xz" {
		t.Fatalf("path %s", mods[3].RelPath)
	}

	if _, err := ResolveModules(dir, []string{"nvme"}); err == nil || !strings.Contains(err.Error(), "neither built into") {
		t.Fatalf("missing module: %v", err)
	}
	writeModule(t, dir, "kernel/a.ko", "b")
	writeModule(t, dir, "kernel/b.ko", "a")
	if _, err := ResolveModules(dir, []string{"a"}); err == nil || !strings.Contains(err.Error(), "cycle") {
		t.Fatalf("cycle: %v", err)
	}
}
