package protocol

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

const (
	// HeaderSize is the length prefix of a frame.
	HeaderSize = 4
	// DefaultMaxFrame bounds a frame's payload. A module chunk
	// (ChunkSize) plus its envelope fits with room to spare.
	DefaultMaxFrame = 64 * 1024
	// ChunkSize is the largest module slice one ModuleChunk carries.
	ChunkSize = 32 * 1024
)

// Frame errors. They are sentinel values so callers can count them by kind.
var (
	ErrFrameTooLarge = errors.New("frame length exceeds the limit")
	ErrEmptyFrame    = errors.New("frame length is zero")
	ErrTruncated     = errors.New("frame truncated")
)

// ReadFrame reads one frame's payload. The length is checked against max
// before any buffer is allocated, so a 4 GiB header costs four bytes of
// reading and nothing else.
func ReadFrame(r io.Reader, max int) ([]byte, error) {
	var hdr [HeaderSize]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, fmt.Errorf("%w: %d of %d header bytes", ErrTruncated, 0, HeaderSize)
		}
		return nil, err // io.EOF: clean end between frames
	}
	n := binary.BigEndian.Uint32(hdr[:])
	if n == 0 {
		return nil, ErrEmptyFrame
	}
	if uint64(n) > uint64(max) {
		return nil, fmt.Errorf("%w: %d > %d bytes", ErrFrameTooLarge, n, max)
	}
	buf := make([]byte, n)
	if got, err := io.ReadFull(r, buf); err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%w: %d of %d bytes", ErrTruncated, got, n)
		}
		return nil, err
	}
	return buf, nil
}

// AppendFrame appends a frame holding payload to dst.
func AppendFrame(dst, payload []byte) []byte {
	dst = binary.BigEndian.AppendUint32(dst, uint32(len(payload)))
	return append(dst, payload...)
}
