package protocol

import (
	"errors"
	"fmt"
	"reflect"

	"github.com/fxamacker/cbor/v2"
)

// Version is the protocol version this package speaks. Hello negotiates it.
const Version = 1

// SupportedVersions are the versions a peer built from this package accepts.
var SupportedVersions = []uint{Version}

// Envelope is the CBOR item inside every frame.
type Envelope struct {
	// Version of the protocol the sender speaks.
	Version uint `cbor:"1,keyasint"`
	// ID is chosen by the sender of a request; the response carries the
	// same ID.
	ID uint64 `cbor:"2,keyasint"`
	// Body is the message.
	Body Body `cbor:"3,keyasint"`
}

// Body is a typed message payload.
type Body struct {
	Type    Type            `cbor:"1,keyasint"`
	Payload cbor.RawMessage `cbor:"2,keyasint"`
}

var (
	encMode cbor.EncMode
	decMode cbor.DecMode
)

func init() {
	var err error
	eo := cbor.CoreDetEncOptions()
	eo.IndefLength = cbor.IndefLengthForbidden
	encMode, err = eo.EncMode()
	if err != nil {
		panic(err)
	}
	decMode, err = cbor.DecOptions{
		DupMapKey:         cbor.DupMapKeyEnforcedAPF,
		IndefLength:       cbor.IndefLengthForbidden,
		TagsMd:            cbor.TagsForbidden,
		MaxNestedLevels:   8,
		MaxArrayElements:  4096,
		MaxMapPairs:       256,
		ExtraReturnErrors: cbor.ExtraDecErrorUnknownField,
		UTF8:              cbor.UTF8RejectInvalid,
	}.DecMode()
	if err != nil {
		panic(err)
	}
}

// Decode errors, wrapped with detail.
var (
	ErrMalformed          = errors.New("malformed CBOR")
	ErrUnsupportedVersion = errors.New("unsupported protocol version")
	ErrUnknownType        = errors.New("unknown message type")
)

// Encode renders a message as a frame payload (without the length prefix).
func Encode(id uint64, m Message) ([]byte, error) {
	payload, err := encMode.Marshal(m)
	if err != nil {
		return nil, err
	}
	return encMode.Marshal(Envelope{Version: Version, ID: id, Body: Body{Type: m.Type(), Payload: payload}})
}

// EncodeFrame renders a message as a complete frame.
func EncodeFrame(id uint64, m Message) ([]byte, error) {
	p, err := Encode(id, m)
	if err != nil {
		return nil, err
	}
	return AppendFrame(make([]byte, 0, HeaderSize+len(p)), p), nil
}

// Decode parses a frame payload into its envelope and typed message.
func Decode(payload []byte) (Envelope, Message, error) {
	var env Envelope
	if err := decMode.Unmarshal(payload, &env); err != nil {
		return env, nil, fmt.Errorf("%w: envelope: %v", ErrMalformed, err)
	}
	if !versionSupported(env.Version) {
		return env, nil, fmt.Errorf("%w: %d (this side speaks %v)", ErrUnsupportedVersion, env.Version, SupportedVersions)
	}
	t, ok := registry[env.Body.Type]
	if !ok {
		return env, nil, fmt.Errorf("%w: %d", ErrUnknownType, env.Body.Type)
	}
	m := reflect.New(t).Interface().(Message)
	if len(env.Body.Payload) == 0 {
		return env, nil, fmt.Errorf("%w: %s has no payload", ErrMalformed, env.Body.Type)
	}
	if err := decMode.Unmarshal(env.Body.Payload, m); err != nil {
		return env, nil, fmt.Errorf("%w: %s: %v", ErrMalformed, env.Body.Type, err)
	}
	if v, ok := m.(interface{ validate() error }); ok {
		if err := v.validate(); err != nil {
			return env, nil, fmt.Errorf("%w: %s: %v", ErrMalformed, env.Body.Type, err)
		}
	}
	return env, m, nil
}

func versionSupported(v uint) bool {
	for _, s := range SupportedVersions {
		if s == v {
			return true
		}
	}
	return false
}
