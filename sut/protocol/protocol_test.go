package protocol

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"reflect"
	"testing"

	"github.com/fxamacker/cbor/v2"
)

// samples has one populated value of every message type.
func samples() []Message {
	return []Message{
		&EnrollRequest{CSR: []byte{1, 2, 3}, Token: "abc123.0123456789abcdef", Name: "dev-1", Info: DeviceInfo{Arch: "arm64", Profile: "arm64-virt", Firmware: "0.1.0", MemoryBytes: 64 << 20, WasmFeatures: []string{"bulk-memory"}}},
		&EnrollResponse{Accepted: true, DeviceName: "dev-1", Certificate: []byte{4}, CABundle: [][]byte{{5}, {6}}},
		&EnrollResponse{Reason: ReasonTokenReused, Message: "token abc123 was used by dev-0"},
		&Hello{Versions: []uint{1}, Info: DeviceInfo{Arch: "x86_64"}, Apps: []AppStatus{{Name: "hello", Digest: "ab", State: "Running"}}, Health: DeviceHealth{UptimeMs: 5, FreeMemoryBytes: 6}},
		&HelloAck{Version: 1, DeviceName: "dev-1", HeartbeatIntervalMs: 1000, HeartbeatTimeoutMs: 3000, RenewCertificate: true, ServerTimeUnixMillis: 1},
		&Heartbeat{Seq: 7, Health: DeviceHealth{UptimeMs: 1}, Apps: []AppStatus{{Name: "a", State: "Failed", Reason: "Timeout", LastError: "deadline", Restarts: 2, MemoryBytes: 65536}}},
		&HeartbeatAck{Seq: 7},
		&Error{Code: ReasonMalformed, Message: "x", Fatal: true},
		&Deploy{App: "hello", Digest: "ab", Size: 10, Chunks: 1, Limits: AppLimits{MaxMemoryPages: 2, MaxExecutionMs: 100, MaxRestarts: 3}, Capabilities: AppCapabilities{Log: true, Publish: []string{"t"}}, Env: map[string]string{"A": "b"}, Args: []string{"x"}, Config: map[string]string{"k": "v"}, RestartPolicy: "Always", Signature: []byte{9}, TrustedKeys: []string{"k"}, RequireSigned: true},
		&ModuleChunk{App: "hello", Digest: "ab", Index: 0, Data: []byte("\x00asm")},
		&DeployResult{App: "hello", Digest: "ab", OK: false, Reason: "InvalidModule", Message: "bad"},
		&Stop{App: "hello"},
		&StopResult{App: "hello", OK: true},
		&AppStatusReport{Apps: []AppStatus{{Name: "hello", State: "Running"}}},
		&AppPublish{App: "echo", Topic: "out", Data: []byte("hi")},
		&AppDeliver{Topic: "in", Data: []byte("hi")},
		&RenewRequest{CSR: []byte{1}},
		&RenewResponse{OK: true, Certificate: []byte{2}, CABundle: [][]byte{{3}}},
		&VehicleCommand{App: "pilot", Command: "takeoff", Param: 10},
		&VehicleCommandResult{Result: "accepted"},
	}
}

func TestRoundTripEveryMessage(t *testing.T) {
	seen := map[Type]bool{}
	for i, m := range samples() {
		frame, err := EncodeFrame(uint64(i), m)
		if err != nil {
			t.Fatal(err)
		}
		payload, err := ReadFrame(bytes.NewReader(frame), DefaultMaxFrame)
		if err != nil {
			t.Fatal(err)
		}
		env, got, err := Decode(payload)
		if err != nil {
			t.Fatalf("%T: %v", m, err)
		}
		if env.ID != uint64(i) || env.Version != Version {
			t.Fatalf("%T: envelope %+v", m, env)
		}
		if !reflect.DeepEqual(got, m) {
			t.Fatalf("%T: round trip\n got %+v\nwant %+v", m, got, m)
		}
		seen[m.Type()] = true
	}
	for typ := range registry {
		if !seen[typ] {
			t.Errorf("no round-trip sample for %s", typ)
		}
	}
}

func envelopeWith(t *testing.T, version uint, typ Type, payload any) []byte {
	t.Helper()
	p, err := cbor.Marshal(payload)
	if err != nil {
		t.Fatal(err)
	}
	b, err := cbor.Marshal(map[int]any{1: version, 2: 1, 3: map[int]any{1: uint(typ), 2: cbor.RawMessage(p)}})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestStrictDecoding(t *testing.T) {
	hb := map[int]any{1: 1, 2: map[int]any{1: 1, 2: 2}}
	cases := map[string]struct {
		payload []byte
		want    error
	}{
		"unsupported version": {envelopeWith(t, 99, TypeHeartbeat, hb), ErrUnsupportedVersion},
		"unknown type":        {envelopeWith(t, 1, 250, hb), ErrUnknownType},
		"unknown field":       {envelopeWith(t, 1, TypeHeartbeat, map[int]any{1: 1, 99: 1}), ErrMalformed},
		"wrong field type":    {envelopeWith(t, 1, TypeHeartbeat, map[int]any{1: "one"}), ErrMalformed},
		// {1: 1, 1: 2}: a map with a duplicated key.
		"duplicate key": {[]byte{0xa2, 0x01, 0x01, 0x01, 0x02}, ErrMalformed},
		// An indefinite-length map.
		"indefinite length": {[]byte{0xbf, 0x01, 0x01, 0xff}, ErrMalformed},
		// A tagged item (tag 1, epoch time).
		"tag":                           {[]byte{0xc1, 0x01}, ErrMalformed},
		"trailing bytes":                {append(envelopeWith(t, 1, TypeHeartbeat, hb), 0x00), ErrMalformed},
		"not cbor":                      {[]byte("hello world"), ErrMalformed},
		"empty chunk overflow":          {envelopeWith(t, 1, TypeModuleChunk, map[int]any{1: "a", 2: "d", 3: 0, 4: make([]byte, ChunkSize+1)}), ErrMalformed},
		"deploy too small for its size": {envelopeWith(t, 1, TypeDeploy, map[int]any{1: "a", 2: "d", 3: 100000, 4: 1, 5: map[int]any{}, 6: map[int]any{}}), ErrMalformed},
	}
	for name, c := range cases {
		if _, _, err := Decode(c.payload); !errors.Is(err, c.want) {
			t.Errorf("%s: err = %v, want %v", name, err, c.want)
		}
	}
}

func TestDeeplyNestedIsRefused(t *testing.T) {
	// 20 nested one-element arrays inside the Args field.
	var nested any = "x"
	for range 20 {
		nested = []any{nested}
	}
	p := envelopeWith(t, 1, TypeDeploy, map[int]any{1: "a", 2: "d", 3: 0, 4: 0, 5: map[int]any{}, 6: map[int]any{}, 8: nested})
	if _, _, err := Decode(p); !errors.Is(err, ErrMalformed) {
		t.Fatalf("err = %v", err)
	}
}

// countingReader fails the test if more than limit bytes are requested.
type countingReader struct {
	r    io.Reader
	read int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.read += n
	return n, err
}

func TestFrameLimitCheckedBeforeAllocation(t *testing.T) {
	hdr := binary.BigEndian.AppendUint32(nil, 0xFFFFFFFF) // a 4 GiB claim
	r := &countingReader{r: io.MultiReader(bytes.NewReader(hdr), zeroReader{})}
	allocs := testing.AllocsPerRun(10, func() {
		r.read = 0
		r.r = io.MultiReader(bytes.NewReader(hdr), zeroReader{})
		if _, err := ReadFrame(r, DefaultMaxFrame); !errors.Is(err, ErrFrameTooLarge) {
			t.Fatalf("err = %v", err)
		}
	})
	if r.read != HeaderSize {
		t.Fatalf("read %d bytes past the header of an oversized frame", r.read-HeaderSize)
	}
	// Only the error value and its formatting allocate; nothing sized by
	// the claimed length.
	if allocs > 8 {
		t.Fatalf("%v allocations for a refused frame", allocs)
	}
}

type zeroReader struct{}

func (zeroReader) Read(p []byte) (int, error) { clear(p); return len(p), nil }

func TestTruncatedAndEmptyFrames(t *testing.T) {
	full, _ := EncodeFrame(1, &HeartbeatAck{Seq: 1})
	for n := 1; n < len(full); n++ {
		_, err := ReadFrame(bytes.NewReader(full[:n]), DefaultMaxFrame)
		if !errors.Is(err, ErrTruncated) {
			t.Fatalf("prefix of %d bytes: err = %v", n, err)
		}
	}
	if _, err := ReadFrame(bytes.NewReader(nil), DefaultMaxFrame); err != io.EOF {
		t.Fatalf("empty stream: %v, want io.EOF", err)
	}
	if _, err := ReadFrame(bytes.NewReader([]byte{0, 0, 0, 0}), DefaultMaxFrame); !errors.Is(err, ErrEmptyFrame) {
		t.Fatalf("zero length: %v", err)
	}
}
