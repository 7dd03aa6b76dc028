package protocol

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// seedFromFixtures adds the committed corpus under fixtures/fuzz/<name>,
// raw files, one input each.
func seedFromFixtures(f *testing.F, name string) {
	dir := filepath.Join("..", "..", "fixtures", "fuzz", name)
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if b, err := os.ReadFile(filepath.Join(dir, e.Name())); err == nil {
			f.Add(b)
		}
	}
}

// FuzzReadFrame: any byte stream yields frames or an error, never a panic
// or an allocation beyond the limit.
func FuzzReadFrame(f *testing.F) {
	for i, m := range samples() {
		b, _ := EncodeFrame(uint64(i), m)
		f.Add(b)
	}
	f.Add([]byte{0xff, 0xff, 0xff, 0xff})
	f.Add([]byte{0, 0, 0, 0})
	seedFromFixtures(f, "frame")
	f.Fuzz(func(t *testing.T, data []byte) {
		r := bytes.NewReader(data)
		for {
			p, err := ReadFrame(r, 1024)
			if err != nil {
				return
			}
			if len(p) == 0 || len(p) > 1024 {
				t.Fatalf("frame of %d bytes passed a 1024-byte limit", len(p))
			}
		}
	})
}

// FuzzDecode: any payload decodes to a message that re-encodes and
// decodes to the same message, or is refused with an error.
func FuzzDecode(f *testing.F) {
	for i, m := range samples() {
		b, _ := Encode(uint64(i), m)
		f.Add(b)
	}
	seedFromFixtures(f, "message")
	f.Fuzz(func(t *testing.T, data []byte) {
		env, m, err := Decode(data)
		if err != nil {
			return
		}
		again, err := Encode(env.ID, m)
		if err != nil {
			t.Fatalf("decoded %T does not re-encode: %v", m, err)
		}
		if _, m2, err := Decode(again); err != nil || m2.Type() != m.Type() {
			t.Fatalf("re-encoded %T does not decode: %v", m, err)
		}
	})
}
