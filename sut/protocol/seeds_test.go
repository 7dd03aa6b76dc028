package protocol

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wasmbed/wasmbed/fixtures/fuzz"
	"github.com/wasmbed/wasmbed/sut/refusal"
)

// The committed fuzz corpora (fixtures/fuzz/frame and fixtures/fuzz/message)
// are generated here, and every committed seed is held to its name: "ok-"
// seeds are accepted, "bad-<reason>-" seeds are refused with that reason by
// the same code path the gateway uses (Conn.Recv). Regenerate with
// WASMBED_UPDATE_FUZZ_SEEDS=1 go test ./sut/protocol.

// heartbeatPayload is {1: 7, 2: {1: 1, 2: 0}}: Heartbeat{Seq: 7, Health{UptimeMs: 1}}.
var heartbeatPayload = []byte{0xa2, 0x01, 0x07, 0x02, 0xa2, 0x01, 0x01, 0x02, 0x00}

// envelope hand-assembles {1: version, 2: 1, 3: {1: type, 2: payload}}.
func envelope(version, typ byte, payload []byte) []byte {
	b := []byte{0xa3, 0x01}
	b = appendUint(b, uint64(version))
	b = append(b, 0x02, 0x01, 0x03, 0xa2, 0x01)
	b = appendUint(b, uint64(typ))
	b = append(b, 0x02)
	return append(b, payload...)
}

func appendUint(b []byte, v uint64) []byte {
	if v < 24 {
		return append(b, byte(v))
	}
	return append(b, 0x18, byte(v))
}

func mustEncode(m Message) []byte {
	b, err := Encode(1, m)
	if err != nil {
		panic(err)
	}
	return b
}

// messageSeeds are frame payloads for FuzzDecode.
func messageSeeds() map[string][]byte {
	seeds := map[string][]byte{}
	for _, m := range samples() {
		name := "ok-" + strings.ToLower(m.Type().String())
		if _, dup := seeds[name+".cbor"]; dup {
			name += "-2"
		}
		seeds[name+".cbor"] = mustEncode(m)
	}
	nested := bytes.Repeat([]byte{0x81}, 20) // twenty nested one-element arrays
	nested = append(nested, 0x00)
	manyVersions := &Hello{Versions: make([]uint, 5000)}
	manyEnv := &Deploy{App: "a", Env: map[string]string{}}
	for i := range 300 {
		manyEnv.Env[string(rune('A'+i%26))+strings.Repeat("x", i/26)] = "v"
	}
	bad := map[string][]byte{
		"garbage":            bytes.Repeat([]byte{0xff}, 16),
		"indefinite-map":     append(append([]byte{0xbf}, envelope(1, byte(TypeHeartbeat), heartbeatPayload)[1:]...), 0xff),
		"duplicate-key":      append([]byte{0xa4, 0x01, 0x01}, envelope(1, byte(TypeHeartbeat), heartbeatPayload)[1:]...),
		"tag":                append([]byte{0xc1}, envelope(1, byte(TypeHeartbeat), heartbeatPayload)...),
		"deep-nesting":       envelope(1, byte(TypeHeartbeat), nested),
		"unknown-field":      append(append([]byte{0xa4}, envelope(1, byte(TypeHeartbeat), heartbeatPayload)[1:]...), 0x09, 0x00),
		"no-payload":         {0xa3, 0x01, 0x01, 0x02, 0x01, 0x03, 0xa1, 0x01, 0x05},
		"wrong-field-type":   envelope(1, byte(TypeHeartbeat), []byte{0xa1, 0x01, 0x61, 'x'}),
		"invalid-utf8":       envelope(1, byte(TypeHello), []byte{0xa2, 0x01, 0x81, 0x01, 0x02, 0xa1, 0x01, 0x62, 0xff, 0xfe}),
		"truncated-item":     envelope(1, byte(TypeHeartbeat), heartbeatPayload)[:12],
		"csr-over-limit":     mustEncode(&EnrollRequest{CSR: make([]byte, maxCSRLen+1)}),
		"too-many-elements":  mustEncode(manyVersions),
		"too-many-map-pairs": mustEncode(manyEnv),
		"chunk-over-limit":   mustEncode(&ModuleChunk{App: "a", Data: make([]byte, ChunkSize+1)}),
	}
	for what, b := range bad {
		seeds["bad-"+string(ReasonMalformed)+"-"+what+".cbor"] = b
	}
	seeds["bad-"+string(ReasonUnsupportedVersion)+"-v99.cbor"] = envelope(99, byte(TypeHeartbeat), heartbeatPayload)
	seeds["bad-"+string(ReasonUnsupportedVersion)+"-v0.cbor"] = envelope(0, byte(TypeHeartbeat), heartbeatPayload)
	seeds["bad-"+string(ReasonUnsupportedVersion)+"-empty-envelope.cbor"] = []byte{0xa0} // no version is version 0
	seeds["bad-"+string(ReasonUnknownMessage)+"-type99.cbor"] = envelope(1, 99, heartbeatPayload)
	seeds["bad-"+string(ReasonUnknownMessage)+"-type0.cbor"] = envelope(1, 0, heartbeatPayload)
	return seeds
}

// frameSeeds are byte streams for FuzzReadFrame.
func frameSeeds() map[string][]byte {
	frame := func(p []byte) []byte { return AppendFrame(nil, p) }
	header := func(n uint32) []byte { return binary.BigEndian.AppendUint32(nil, n) }
	hb := envelope(1, byte(TypeHeartbeat), heartbeatPayload)
	return map[string][]byte{
		"ok-heartbeat.bin":                                          frame(hb),
		"ok-three-heartbeats.bin":                                   bytes.Repeat(frame(hb), 3),
		"ok-enroll-request.bin":                                     frame(mustEncode(samples()[0])),
		"bad-" + string(ReasonFrameTooLarge) + "-4gib.bin":          header(0xffffffff),
		"bad-" + string(ReasonFrameTooLarge) + "-limit-plus-1.bin":  header(DefaultMaxFrame + 1),
		"bad-" + string(ReasonFrameTooLarge) + "-empty.bin":         header(0),
		"bad-" + string(ReasonFrameTooLarge) + "-after-a-good.bin":  append(frame(hb), header(0x7fffffff)...),
		"bad-" + string(ReasonFrameTruncated) + "-header.bin":       {0x00, 0x00},
		"bad-" + string(ReasonFrameTruncated) + "-payload.bin":      append(header(100), hb...),
		"bad-" + string(ReasonMalformed) + "-garbage-payload.bin":   frame(bytes.Repeat([]byte{0xff}, 16)),
		"bad-" + string(ReasonUnknownMessage) + "-second-frame.bin": append(frame(hb), frame(envelope(1, 99, heartbeatPayload))...),
	}
}

func TestFuzzSeedsAreCommitted(t *testing.T) {
	for corpus, seeds := range map[string]map[string][]byte{fuzz.Frame: frameSeeds(), fuzz.Message: messageSeeds()} {
		dir := filepath.Join("..", "..", "fixtures", "fuzz", corpus)
		for name, want := range seeds {
			path := filepath.Join(dir, name)
			if os.Getenv("WASMBED_UPDATE_FUZZ_SEEDS") != "" {
				if err := os.WriteFile(path, want, 0o644); err != nil {
					t.Fatal(err)
				}
				continue
			}
			got, err := os.ReadFile(path)
			if err != nil || !bytes.Equal(got, want) {
				t.Errorf("fixtures/fuzz/%s/%s is missing or stale: run WASMBED_UPDATE_FUZZ_SEEDS=1 go test ./sut/protocol", corpus, name)
			}
		}
	}
}

// TestFuzzSeedsMeanWhatTheySay reads every committed seed through
// Conn.Recv, the gateway's own path, and checks the outcome its name
// promises.
func TestFuzzSeedsMeanWhatTheySay(t *testing.T) {
	for _, corpus := range []string{fuzz.Frame, fuzz.Message} {
		seeds, err := fuzz.Seeds(corpus)
		if err != nil {
			t.Fatal(err)
		}
		if len(seeds) == 0 {
			t.Fatalf("corpus %s is empty", corpus)
		}
		for _, s := range seeds {
			stream := s.Data
			if corpus == fuzz.Message {
				stream = AppendFrame(nil, s.Data)
			}
			if got := recvAll(t, stream); got != s.Refusal {
				t.Errorf("%s/%s: refused with %q, want %q", corpus, s.Name, got, s.Refusal)
			}
		}
	}
}

// recvAll feeds stream to a Conn and reads until it ends: "" if every frame
// was accepted up to a clean end, else the reason the first bad one got.
func recvAll(t *testing.T, stream []byte) refusal.Reason {
	t.Helper()
	client, server := net.Pipe()
	defer server.Close()
	go func() {
		_, _ = client.Write(stream)
		client.Close()
	}()
	c := NewConn(server, 0)
	_ = server.SetReadDeadline(time.Now().Add(5 * time.Second))
	for {
		_, _, err := c.Recv()
		var de *DecodeError
		switch {
		case err == nil:
			continue
		case errors.As(err, &de):
			return de.Reason
		case errors.Is(err, io.EOF):
			return ""
		default:
			t.Fatalf("unexpected error: %v", err)
			return ""
		}
	}
}
