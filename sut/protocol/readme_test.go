package protocol

import (
	"encoding/hex"
	"fmt"
	"os"
	"strings"
	"testing"
)

// readmeExamples are the frames the README shows.
var readmeExamples = []struct {
	title string
	id    uint64
	msg   Message
}{
	{"Heartbeat, seq 7, 1 h up, 32 MiB free", 42, &Heartbeat{Seq: 7, Health: DeviceHealth{UptimeMs: 3600000, FreeMemoryBytes: 32 << 20}}},
	{"HeartbeatAck for it", 42, &HeartbeatAck{Seq: 7}},
	{"Hello from an arm64 guest running one app", 1, &Hello{Versions: []uint{1}, Info: DeviceInfo{Arch: "arm64", Profile: "arm64-virt"}, Apps: []AppStatus{{Name: "hello", State: "Running"}}, Health: DeviceHealth{UptimeMs: 900}}},
	{"Stop the app \"hello\"", 3, &Stop{App: "hello"}},
	{"A fatal Error", 0, &Error{Code: ReasonFrameTooLarge, Message: "frame length exceeds the limit", Fatal: true}},
}

// TestREADMEExamples keeps the README's hex examples equal to what the
// encoder produces. Regenerate with WASMBED_UPDATE_README=1.
func TestREADMEExamples(t *testing.T) {
	var b strings.Builder
	for _, ex := range readmeExamples {
		frame, err := EncodeFrame(ex.id, ex.msg)
		if err != nil {
			t.Fatal(err)
		}
		if _, m, err := Decode(frame[HeaderSize:]); err != nil || m.Type() != ex.msg.Type() {
			t.Fatalf("example %q does not decode: %v", ex.title, err)
		}
		fmt.Fprintf(&b, "%s (type %d, id %d):\n\n```\n%s\n```\n\n", ex.title, ex.msg.Type(), ex.id, wrapHex(hex.EncodeToString(frame)))
	}
	const start, end = "<!-- frame-examples:start -->\n", "<!-- frame-examples:end -->"
	data, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	s := string(data)
	i, j := strings.Index(s, start), strings.Index(s, end)
	if i < 0 || j < i {
		t.Fatal("README.md lacks the frame-examples markers")
	}
	want := s[:i+len(start)] + b.String() + s[j:]
	if want == s {
		return
	}
	if os.Getenv("WASMBED_UPDATE_README") != "" {
		if err := os.WriteFile("README.md", []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Fatal("sut/protocol/README.md examples are stale: run WASMBED_UPDATE_README=1 go test ./sut/protocol")
}

// wrapHex groups hex in bytes, 16 per line.
func wrapHex(h string) string {
	var lines []string
	for len(h) > 0 {
		n := min(32, len(h))
		var bytes []string
		for k := 0; k < n; k += 2 {
			bytes = append(bytes, h[k:k+2])
		}
		lines = append(lines, strings.Join(bytes, " "))
		h = h[n:]
	}
	return strings.Join(lines, "\n")
}
