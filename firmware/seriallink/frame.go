package seriallink

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
)

// Wire format of one frame (all integers big-endian):
//
//	offset  size  field
//	0       1     SOF, always 0xA5
//	1       1     direction: 'D' (0x44) device→host, 'H' (0x48) host→device
//	2       1     type (FrameType)
//	3       2     session id (0 for link-level frames)
//	5       2     payload length n, at most MaxPayload
//	7       1     header check: CRC-8 (poly 0x07) over bytes 1..6
//	8       n     payload
//	8+n     4     CRC-32 (IEEE) over bytes 1..8+n-1
//
// A receiver only accepts frames of the other direction, so the echo of its
// own frames (a UART not yet in raw mode echoes) is skipped as garbage.
const (
	// SOF starts every frame.
	SOF = 0xA5
	// HeaderSize is the size of the frame header, up to the payload.
	HeaderSize = 8
	// TrailerSize is the size of the CRC-32 after the payload.
	TrailerSize = 4
	// MaxPayload is the largest payload of one frame. Larger writes are
	// split. It bounds how much a garbage header can make a receiver wait
	// for before the CRC rejects it.
	MaxPayload = 1024
	// Window is the per-session, per-direction flow-control window: a sender
	// may have at most this many DATA payload bytes not yet returned by a
	// CREDIT frame.
	Window = 16 * 1024
	// Version is the protocol version carried by READY and RESET.
	Version = 1
)

// Direction says who sent a frame.
type Direction byte

// Directions.
const (
	FromDevice Direction = 'D'
	FromHost   Direction = 'H'
)

func (d Direction) String() string {
	switch d {
	case FromDevice:
		return "device→host"
	case FromHost:
		return "host→device"
	}
	return fmt.Sprintf("direction(%#x)", byte(d))
}

// FrameType is the kind of a frame.
type FrameType byte

// Frame types. See harness/serialbridge for the protocol around them.
const (
	// Ready (device→host): the device's link has (re)started and holds no
	// open session. Payload: see ReadyPayload.
	Ready FrameType = 0x01
	// Reset (host→device): the host's bridge has (re)started and holds no
	// session. Payload: see ResetPayload. The device fails its established
	// sessions, answers Ready with the nonce, and repeats pending OPENs.
	Reset FrameType = 0x02
	// Open (device→host): open session id; the host dials the gateway.
	Open FrameType = 0x03
	// Opened (host→device): the session's TCP connection is up.
	Opened FrameType = 0x04
	// Data (both): session bytes, 1..MaxPayload.
	Data FrameType = 0x05
	// Credit (both): the receiver consumed n more bytes of the session
	// (payload: uint32), so the sender may send n more.
	Credit FrameType = 0x06
	// Close (both): the sender is done with the session; payload: an
	// optional reason (empty for an orderly end, like a TCP FIN).
	Close FrameType = 0x07
	// Ping (both): liveness probe; the payload is echoed in Pong.
	Ping FrameType = 0x08
	// Pong (both): answer to Ping.
	Pong FrameType = 0x09
)

var typeNames = map[FrameType]string{
	Ready: "READY", Reset: "RESET", Open: "OPEN", Opened: "OPENED", Data: "DATA",
	Credit: "CREDIT", Close: "CLOSE", Ping: "PING", Pong: "PONG",
}

func (t FrameType) String() string {
	if n, ok := typeNames[t]; ok {
		return n
	}
	return fmt.Sprintf("TYPE(%#x)", byte(t))
}

// Valid reports whether t is a known frame type.
func (t FrameType) Valid() bool { _, ok := typeNames[t]; return ok }

// Frame is one decoded frame.
type Frame struct {
	Dir     Direction
	Type    FrameType
	Session uint16
	Payload []byte
}

func (f Frame) String() string {
	switch f.Type {
	case Data:
		return fmt.Sprintf("%s s=%d n=%d", f.Type, f.Session, len(f.Payload))
	case Credit:
		if n, err := f.CreditBytes(); err == nil {
			return fmt.Sprintf("%s s=%d +%d", f.Type, f.Session, n)
		}
	case Ready:
		if v, nonce, name, err := ParseReady(f.Payload); err == nil {
			return fmt.Sprintf("%s v%d nonce=%08x name=%q", f.Type, v, nonce, name)
		}
	case Reset:
		if v, nonce, err := ParseReset(f.Payload); err == nil {
			return fmt.Sprintf("%s v%d nonce=%08x", f.Type, v, nonce)
		}
	case Close:
		if len(f.Payload) > 0 {
			return fmt.Sprintf("%s s=%d %q", f.Type, f.Session, f.Payload)
		}
	}
	return fmt.Sprintf("%s s=%d", f.Type, f.Session)
}

// CreditBytes decodes the payload of a Credit frame.
func (f Frame) CreditBytes() (uint32, error) {
	if len(f.Payload) != 4 {
		return 0, fmt.Errorf("seriallink: CREDIT payload of %d bytes, want 4", len(f.Payload))
	}
	return binary.BigEndian.Uint32(f.Payload), nil
}

// CreditPayload encodes n as a Credit payload.
func CreditPayload(n uint32) []byte { return binary.BigEndian.AppendUint32(nil, n) }

// ErrFrameTooLarge is returned by AppendFrame for a payload over MaxPayload.
var ErrFrameTooLarge = errors.New("seriallink: frame payload larger than MaxPayload")

// AppendFrame appends the encoding of f to b.
func AppendFrame(b []byte, f Frame) ([]byte, error) {
	if len(f.Payload) > MaxPayload {
		return b, ErrFrameTooLarge
	}
	start := len(b)
	b = append(b, SOF, byte(f.Dir), byte(f.Type))
	b = binary.BigEndian.AppendUint16(b, f.Session)
	b = binary.BigEndian.AppendUint16(b, uint16(len(f.Payload)))
	b = append(b, crc8(b[start+1:start+7]))
	b = append(b, f.Payload...)
	return binary.BigEndian.AppendUint32(b, crc32.ChecksumIEEE(b[start+1:])), nil
}

// crc8 is CRC-8 with polynomial x^8+x^2+x+1 (0x07), initial value 0.
func crc8(b []byte) byte {
	var c byte
	for _, x := range b {
		c ^= x
		for range 8 {
			if c&0x80 != 0 {
				c = c<<1 ^ 0x07
			} else {
				c <<= 1
			}
		}
	}
	return c
}

// ReadyPayload encodes a Ready payload: version, the nonce of the Reset it
// answers (0 when the device announces itself unasked), the device name.
func ReadyPayload(resetNonce uint32, name string) []byte {
	b := binary.BigEndian.AppendUint32([]byte{Version}, resetNonce)
	return append(b, name...)
}

// ParseReady decodes a Ready payload.
func ParseReady(p []byte) (version byte, resetNonce uint32, name string, err error) {
	if len(p) < 5 {
		return 0, 0, "", fmt.Errorf("seriallink: READY payload of %d bytes, want at least 5", len(p))
	}
	return p[0], binary.BigEndian.Uint32(p[1:5]), string(p[5:]), nil
}

// ResetPayload encodes a Reset payload: version and a nonce the device
// echoes in its Ready, so the host can tell the answer to its own Reset
// from a device that restarted.
func ResetPayload(nonce uint32) []byte {
	return binary.BigEndian.AppendUint32([]byte{Version}, nonce)
}

// ParseReset decodes a Reset payload.
func ParseReset(p []byte) (version byte, nonce uint32, err error) {
	if len(p) < 5 {
		return 0, 0, fmt.Errorf("seriallink: RESET payload of %d bytes, want 5", len(p))
	}
	return p[0], binary.BigEndian.Uint32(p[1:5]), nil
}
