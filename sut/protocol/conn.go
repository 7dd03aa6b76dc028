package protocol

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"

	"github.com/wasmbed/wasmbed/sut/refusal"
)

// Conn speaks the protocol over a stream. Reads must come from one
// goroutine; writes may come from many.
type Conn struct {
	raw      net.Conn
	r        *bufio.Reader
	maxFrame int

	wmu    sync.Mutex
	nextID atomic.Uint64

	// BytesIn and BytesOut count frame bytes, headers included.
	BytesIn, BytesOut atomic.Uint64
}

// NewConn wraps c. maxFrame <= 0 means DefaultMaxFrame.
func NewConn(c net.Conn, maxFrame int) *Conn {
	if maxFrame <= 0 {
		maxFrame = DefaultMaxFrame
	}
	return &Conn{raw: c, r: bufio.NewReaderSize(c, 16*1024), maxFrame: maxFrame}
}

// Raw returns the underlying connection.
func (c *Conn) Raw() net.Conn { return c.raw }

// NewID returns a fresh request ID.
func (c *Conn) NewID() uint64 { return c.nextID.Add(1) }

// Send writes one message with the given envelope ID.
func (c *Conn) Send(id uint64, m Message) error {
	frame, err := EncodeFrame(id, m)
	if err != nil {
		return err
	}
	c.wmu.Lock()
	defer c.wmu.Unlock()
	n, err := c.raw.Write(frame)
	c.BytesOut.Add(uint64(n))
	return err
}

// Recv reads the next message. Errors from a bad frame are *DecodeError,
// which carries the reason code to send back before closing.
func (c *Conn) Recv() (Envelope, Message, error) {
	payload, err := ReadFrame(c.r, c.maxFrame)
	if err != nil {
		switch {
		case errors.Is(err, ErrFrameTooLarge), errors.Is(err, ErrEmptyFrame):
			return Envelope{}, nil, &DecodeError{Reason: ReasonFrameTooLarge, Err: err}
		case errors.Is(err, ErrTruncated):
			return Envelope{}, nil, &DecodeError{Reason: ReasonFrameTruncated, Err: err}
		}
		return Envelope{}, nil, err
	}
	c.BytesIn.Add(uint64(HeaderSize + len(payload)))
	env, m, err := Decode(payload)
	if err != nil {
		return env, nil, &DecodeError{Reason: reasonOf(err), Err: err}
	}
	return env, m, nil
}

// Close closes the underlying connection.
func (c *Conn) Close() error { return c.raw.Close() }

// DecodeError is a frame the peer got wrong.
type DecodeError struct {
	Reason refusal.Reason
	Err    error
}

func (e *DecodeError) Error() string { return fmt.Sprintf("%s: %v", e.Reason, e.Err) }
func (e *DecodeError) Unwrap() error { return e.Err }

func reasonOf(err error) refusal.Reason {
	switch {
	case errors.Is(err, ErrUnsupportedVersion):
		return ReasonUnsupportedVersion
	case errors.Is(err, ErrUnknownType):
		return ReasonUnknownMessage
	}
	return ReasonMalformed
}

// IsClosed reports whether err means the peer went away.
func IsClosed(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, net.ErrClosed) || errors.Is(err, io.ErrClosedPipe)
}
