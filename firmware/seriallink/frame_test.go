package seriallink

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"testing"
)

func mustFrame(t *testing.T, f Frame) []byte {
	t.Helper()
	b, err := AppendFrame(nil, f)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestFrameRoundTrip(t *testing.T) {
	frames := []Frame{
		{Dir: FromDevice, Type: Ready, Payload: append([]byte{Version}, "dev-1"...)},
		{Dir: FromDevice, Type: Open, Session: 7},
		{Dir: FromDevice, Type: Data, Session: 7, Payload: bytes.Repeat([]byte{SOF, 'D'}, MaxPayload/2)},
		{Dir: FromDevice, Type: Credit, Session: 7, Payload: CreditPayload(4096)},
		{Dir: FromDevice, Type: Close, Session: 65535, Payload: []byte("bye")},
	}
	var wire []byte
	for _, f := range frames {
		wire = append(wire, mustFrame(t, f)...)
	}
	d := NewDecoder(bytes.NewReader(wire), FromDevice)
	for i, want := range frames {
		got, err := d.Next()
		if err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
		if got.Dir != want.Dir || got.Type != want.Type || got.Session != want.Session || !bytes.Equal(got.Payload, want.Payload) {
			t.Fatalf("frame %d: got %v, want %v", i, got, want)
		}
	}
	if _, err := d.Next(); !errors.Is(err, io.EOF) {
		t.Fatalf("after last frame: %v, want EOF", err)
	}
	if s := d.Stats(); s.Garbage != 0 || s.CRCErrors != 0 || s.Frames != int64(len(frames)) {
		t.Fatalf("stats %+v", s)
	}
	if n, _ := frames[3].CreditBytes(); n != 4096 {
		t.Fatalf("credit %d", n)
	}
}

func TestFrameTooLarge(t *testing.T) {
	if _, err := AppendFrame(nil, Frame{Type: Data, Payload: make([]byte, MaxPayload+1)}); !errors.Is(err, ErrFrameTooLarge) {
		t.Fatalf("got %v", err)
	}
}

// The decoder must find every valid frame of its direction among garbage,
// echoes of the other direction, corrupted frames and truncated frames.
func TestDecoderResync(t *testing.T) {
	good1 := mustFrame(t, Frame{Dir: FromHost, Type: Reset, Payload: []byte{Version}})
	good2 := mustFrame(t, Frame{Dir: FromHost, Type: Data, Session: 3, Payload: []byte("payload with \xa5H inside")})
	good3 := mustFrame(t, Frame{Dir: FromHost, Type: Opened, Session: 4})
	echo := mustFrame(t, Frame{Dir: FromDevice, Type: Ready, Payload: []byte{Version}})
	corrupt := mustFrame(t, Frame{Dir: FromHost, Type: Data, Session: 3, Payload: []byte("corrupted")})
	corrupt[len(corrupt)-6] ^= 0xff // payload byte: CRC-32 fails
	badHeader := mustFrame(t, Frame{Dir: FromHost, Type: Data, Session: 1, Payload: []byte("x")})
	badHeader[6] ^= 0x10 // length: header check fails
	truncated := mustFrame(t, Frame{Dir: FromHost, Type: Data, Session: 9, Payload: []byte("cut short")})[:10]

	var wire []byte
	wire = append(wire, "\x00\xff noise \xa5\xa5\xa5H"...)
	wire = append(wire, echo...)
	wire = append(wire, good1...)
	wire = append(wire, corrupt...)
	wire = append(wire, badHeader...)
	wire = append(wire, truncated...)
	wire = append(wire, good2...)
	wire = append(wire, echo...)
	wire = append(wire, good3...)

	// Feed one byte per Read, the worst case for the buffering logic.
	d := NewDecoder(&oneByteReader{wire}, FromHost)
	// The corrupted and the truncated frames have valid headers: they come
	// out as CorruptErrors naming their session, so it can be dropped.
	want := []struct {
		f       Frame
		corrupt bool
	}{
		{Frame{Type: Reset}, false},
		{Frame{Type: Data, Session: 3}, true},
		{Frame{Type: Data, Session: 9}, true},
		{Frame{Type: Data, Session: 3}, false},
		{Frame{Type: Opened, Session: 4}, false},
	}
	for i, w := range want {
		got, err := d.Next()
		if w.corrupt {
			var ce *CorruptError
			if !errors.As(err, &ce) || !errors.Is(err, ErrCorrupt) || ce.Session != w.f.Session || ce.Type != w.f.Type {
				t.Fatalf("frame %d: %v, want a CorruptError for %v", i, err, w.f)
			}
			continue
		}
		if err != nil {
			t.Fatalf("frame %d: %v (stats %+v)", i, err, d.Stats())
		}
		if got.Type != w.f.Type || got.Session != w.f.Session {
			t.Fatalf("frame %d: got %v, want %v", i, got, w.f)
		}
	}
	if _, err := d.Next(); !errors.Is(err, io.EOF) {
		t.Fatalf("want EOF, got %v", err)
	}
	s := d.Stats()
	if s.CRCErrors != 2 || s.HeaderErrors < 1 || s.Garbage == 0 || s.Frames != 3 {
		t.Fatalf("stats %+v", s)
	}
	if s.WireBytes != int64(len(wire)) {
		t.Fatalf("wire bytes %d, want %d", s.WireBytes, len(wire))
	}
}

type oneByteReader struct{ b []byte }

func (r *oneByteReader) Read(p []byte) (int, error) {
	if len(r.b) == 0 {
		return 0, io.EOF
	}
	if len(p) == 0 {
		return 0, nil
	}
	p[0] = r.b[0]
	r.b = r.b[1:]
	return 1, nil
}

func TestCRC8(t *testing.T) {
	// CRC-8/SMBUS check value for "123456789".
	if got := crc8([]byte("123456789")); got != 0xF4 {
		t.Fatalf("crc8 = %#x, want 0xf4", got)
	}
}

// A long stream read in random chunk sizes exercises the decoder's buffer
// compaction: every frame must come out intact.
func TestDecoderLongStream(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var wire []byte
	var want []Frame
	for i := range 2000 {
		f := Frame{Dir: FromDevice, Type: Data, Session: uint16(i), Payload: make([]byte, rng.IntN(MaxPayload)+1)}
		for j := range f.Payload {
			f.Payload[j] = byte(rng.Uint32())
		}
		want = append(want, f)
		wire = append(wire, mustFrame(t, f)...)
		if i%7 == 0 {
			wire = append(wire, SOF, 'D', 0x05) // a torn header
		}
	}
	d := NewDecoder(&chunkReader{b: wire, rng: rng}, FromDevice)
	for i, w := range want {
		got, err := d.Next()
		if err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
		if got.Session != w.Session || !bytes.Equal(got.Payload, w.Payload) {
			t.Fatalf("frame %d: session %d len %d, want session %d len %d", i, got.Session, len(got.Payload), w.Session, len(w.Payload))
		}
	}
}

type chunkReader struct {
	b   []byte
	rng *rand.Rand
}

func (r *chunkReader) Read(p []byte) (int, error) {
	if len(r.b) == 0 {
		return 0, io.EOF
	}
	n := min(len(p), len(r.b), r.rng.IntN(3000)+1)
	copy(p, r.b[:n])
	r.b = r.b[n:]
	return n, nil
}
