package qemuimages

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
)

const sampleLock = `# comment
arm64-virt   bookworm arm64   linux-image-6.1.0-56-cloud-arm64 6.1.192-2 481ab54a27246579aadeb372315c56de02f2fe0cba4e09b387946269fff2f415
riscv64-virt trixie   riscv64 linux-image-6.12.117+deb13-riscv64 6.12.117-1 f5d9424b6f6a4518197202effc7e8eeaa90f8d73466c2dba2470f6ea7fb4f55c # trailing
`

func TestParseLock(t *testing.T) {
	l, err := ParseLock(strings.NewReader(sampleLock))
	if err != nil {
		t.Fatal(err)
	}
	e, err := l.Entry("riscv64-virt")
	if err != nil {
		t.Fatal(err)
	}
	want := LockEntry{Profile: "riscv64-virt", Dist: "trixie", Arch: "riscv64", Package: "linux-image-6.12.117+deb13-riscv64",
		Version: "6.12.117-1", SHA256: "f5d9424b6f6a4518197202effc7e8eeaa90f8d73466c2dba2470f6ea7fb4f55c"}
	if e != want {
		t.Fatalf("entry %+v, want %+v", e, want)
	}
	if _, err := l.Entry("x86_64-microvm"); err == nil || !strings.Contains(err.Error(), "make qemu-images-lock") {
		t.Fatalf("missing profile: %v", err)
	}
	var buf bytes.Buffer
	if err := l.Format(&buf); err != nil {
		t.Fatal(err)
	}
	again, err := ParseLock(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(again, l) {
		t.Fatalf("round trip %+v, want %+v", again, l)
	}
}

func TestParseLockErrors(t *testing.T) {
	sum := strings.Repeat("a", 64)
	for name, text := range map[string]string{
		"fields":  "arm64-virt bookworm arm64 pkg 1.0\n",
		"sha":     "arm64-virt bookworm arm64 pkg 1.0 xyz\n",
		"profile": "esp32 bookworm arm64 pkg 1.0 " + sum + "\n",
		"arch":    "arm64-virt bookworm amd64 pkg 1.0 " + sum + "\n",
		"twice":   "arm64-virt bookworm arm64 pkg 1.0 " + sum + "\narm64-virt bookworm arm64 pkg 1.0 " + sum + "\n",
	} {
		if _, err := ParseLock(strings.NewReader(text)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// The lock committed in the repository must parse and pin every profile.
func TestCommittedLock(t *testing.T) {
	l, err := ParseLock(strings.NewReader(embeddedLock))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range Profiles() {
		if _, err := l.Entry(p.Name); err != nil {
			t.Error(err)
		}
	}
}
