package seriallink

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"sync/atomic"
)

// ErrCorrupt is wrapped by the *CorruptError Next returns for a frame whose
// header checked out but whose CRC-32 did not.
var ErrCorrupt = errors.New("seriallink: corrupted frame")

// CorruptError reports a frame with a valid header and a bad CRC-32: the
// type and session are known (the header check passed), the payload is
// not. The session it belongs to has lost bytes and cannot go on; the
// decoder has already resynchronised, so the caller ends that session and
// calls Next again.
type CorruptError struct {
	Type    FrameType
	Session uint16
}

func (e *CorruptError) Error() string {
	return fmt.Sprintf("seriallink: corrupted %s frame for session %d (CRC-32 mismatch)", e.Type, e.Session)
}

// Unwrap makes errors.Is(err, ErrCorrupt) true.
func (e *CorruptError) Unwrap() error { return ErrCorrupt }

// DecoderStats counts what a Decoder threw away.
type DecoderStats struct {
	// Frames is the number of valid frames returned.
	Frames int64
	// Garbage is the number of bytes skipped while looking for a frame:
	// line noise, echoes of our own frames, frames of a lost prefix.
	Garbage int64
	// HeaderErrors counts candidate headers rejected by the header check.
	HeaderErrors int64
	// CRCErrors counts frames whose CRC-32 did not match.
	CRCErrors int64
	// WireBytes is the total number of bytes read from the line.
	WireBytes int64
}

// Decoder reads frames of one direction from a byte stream, skipping
// anything that is not a valid frame.
//
// Resynchronisation works byte by byte: whenever a candidate frame fails a
// check, only its first byte is dropped and the search goes on from the
// next one, so a real frame that starts inside garbage is still found.
type Decoder struct {
	r    io.Reader
	want Direction
	buf  []byte
	off  int // start of unconsumed data in buf

	frames, garbage, headerErrs, crcErrs, wire atomic.Int64
}

// NewDecoder returns a Decoder reading frames sent in direction want from r.
func NewDecoder(r io.Reader, want Direction) *Decoder {
	return &Decoder{r: r, want: want, buf: make([]byte, 0, 4*(HeaderSize+MaxPayload+TrailerSize))}
}

// Stats returns the decoder's counters. It is safe to call concurrently
// with Next.
func (d *Decoder) Stats() DecoderStats {
	return DecoderStats{
		Frames: d.frames.Load(), Garbage: d.garbage.Load(), HeaderErrors: d.headerErrs.Load(),
		CRCErrors: d.crcErrs.Load(), WireBytes: d.wire.Load(),
	}
}

// fill makes at least n unconsumed bytes available.
func (d *Decoder) fill(n int) error {
	for len(d.buf)-d.off < n {
		if cap(d.buf)-d.off < n {
			// Not enough room after off: move the unconsumed bytes to the
			// front, and grow if that is still too small.
			m := copy(d.buf, d.buf[d.off:])
			d.buf, d.off = d.buf[:m], 0
			if cap(d.buf) < n {
				nb := make([]byte, m, 2*n)
				copy(nb, d.buf)
				d.buf = nb
			}
		}
		k, err := d.r.Read(d.buf[len(d.buf):cap(d.buf)])
		d.buf = d.buf[:len(d.buf)+k]
		d.wire.Add(int64(k))
		if k > 0 {
			continue
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// skip drops n unconsumed bytes as garbage.
func (d *Decoder) skip(n int) {
	d.off += n
	d.garbage.Add(int64(n))
}

// Next returns the next valid frame. Its payload is a fresh slice the
// caller may keep. Next returns a *CorruptError for a frame whose header
// is valid but whose CRC-32 is not (call Next again after handling it);
// any other error comes from the underlying reader (io.EOF at the end of
// the stream).
func (d *Decoder) Next() (Frame, error) {
	for {
		if err := d.fill(1); err != nil {
			return Frame{}, err
		}
		// Skip to the next SOF.
		data := d.buf[d.off:]
		i := 0
		for i < len(data) && data[i] != SOF {
			i++
		}
		if i > 0 {
			d.skip(i)
			continue
		}
		if err := d.fill(HeaderSize); err != nil {
			return Frame{}, err
		}
		h := d.buf[d.off : d.off+HeaderSize]
		n := int(binary.BigEndian.Uint16(h[5:7]))
		if Direction(h[1]) != d.want || !FrameType(h[2]).Valid() || n > MaxPayload || crc8(h[1:7]) != h[7] {
			if Direction(h[1]) == d.want {
				d.headerErrs.Add(1)
			}
			d.skip(1)
			continue
		}
		total := HeaderSize + n + TrailerSize
		if err := d.fill(total); err != nil {
			return Frame{}, err
		}
		// fill may have moved the buffer: take the header again.
		fr := d.buf[d.off : d.off+total]
		h = fr[:HeaderSize]
		if crc32.ChecksumIEEE(fr[1:HeaderSize+n]) != binary.BigEndian.Uint32(fr[HeaderSize+n:]) {
			d.crcErrs.Add(1)
			err := &CorruptError{Type: FrameType(h[2]), Session: binary.BigEndian.Uint16(h[3:5])}
			d.skip(1)
			return Frame{}, err
		}
		f := Frame{
			Dir:     Direction(h[1]),
			Type:    FrameType(h[2]),
			Session: binary.BigEndian.Uint16(h[3:5]),
			Payload: append([]byte(nil), fr[HeaderSize:HeaderSize+n]...),
		}
		d.off += total
		if d.off == len(d.buf) {
			d.buf, d.off = d.buf[:0], 0
		}
		d.frames.Add(1)
		return f, nil
	}
}
