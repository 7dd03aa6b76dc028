package protocol

import (
	"crypto/ed25519"
	"crypto/x509"
	"encoding/base64"
	"fmt"
)

// EncodePublicKey renders an Ed25519 public key as devices are identified
// everywhere (Device.spec.publicKey, trusted module keys): base64url without
// padding of the SubjectPublicKeyInfo DER, 59 characters.
func EncodePublicKey(pub ed25519.PublicKey) string {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		// Only reachable with a key of the wrong length.
		panic(fmt.Sprintf("EncodePublicKey: %v", err))
	}
	return base64.RawURLEncoding.EncodeToString(der)
}

// DecodePublicKey parses EncodePublicKey's output.
func DecodePublicKey(s string) (ed25519.PublicKey, error) {
	der, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("public key is not base64url without padding: %w", err)
	}
	k, err := x509.ParsePKIXPublicKey(der)
	if err != nil {
		return nil, fmt.Errorf("public key is not a SubjectPublicKeyInfo: %w", err)
	}
	pub, ok := k.(ed25519.PublicKey)
	if !ok {
		return nil, fmt.Errorf("public key is a %T, want Ed25519", k)
	}
	return pub, nil
}
