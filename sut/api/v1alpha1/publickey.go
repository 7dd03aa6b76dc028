package v1alpha1

import (
	"crypto/ed25519"

	"github.com/wasmbed/wasmbed/sut/protocol"
)

// EncodePublicKey renders an Ed25519 public key the way Device.spec.publicKey
// holds it: base64url without padding of the SubjectPublicKeyInfo DER. The
// encoding is the device protocol's; see protocol.EncodePublicKey.
func EncodePublicKey(pub ed25519.PublicKey) string { return protocol.EncodePublicKey(pub) }

// DecodePublicKey parses Device.spec.publicKey.
func DecodePublicKey(s string) (ed25519.PublicKey, error) { return protocol.DecodePublicKey(s) }
