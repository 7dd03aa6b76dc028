package v1alpha1

import (
	"crypto/rand"
	"fmt"
	"regexp"
)

// One-time enrolment tokens are Secrets of type TokenSecretType named
// TokenSecretPrefix+<id>, modelled on Kubernetes bootstrap tokens. A device
// presents "<id>.<secret>"; the gateway reads the Secret by id, compares
// the secret in constant time, checks expiry and binding, and marks it used
// with an optimistic-concurrency update, so two gateways can never both
// accept the same token.
const (
	TokenSecretType   = "wasmbed.io/enrollment-token"
	TokenSecretPrefix = "wasmbed-token-"

	// TokenKeyID and TokenKeySecret hold the two halves of the token.
	TokenKeyID     = "token-id"
	TokenKeySecret = "token-secret"
	// TokenKeyExpiration is an optional RFC 3339 expiry.
	TokenKeyExpiration = "expiration"
	// TokenKeyDeviceName optionally binds the token to one device name.
	TokenKeyDeviceName = "device-name"

	// AnnotationTokenUsedBy and AnnotationTokenUsedAt mark a used token.
	AnnotationTokenUsedBy = "wasmbed.io/used-by"
	AnnotationTokenUsedAt = "wasmbed.io/used-at"

	// AnnotationApproved approves (true) or denies (false) an enrolment
	// under the Manual policy.
	AnnotationApproved = "wasmbed.io/approved"
)

var tokenRE = regexp.MustCompile(`^([a-z0-9]{6})\.([a-z0-9]{16})$`)

// NewToken returns a fresh token id and secret.
func NewToken() (id, secret string) {
	return randomString(6), randomString(16)
}

// ParseToken splits "<id>.<secret>".
func ParseToken(token string) (id, secret string, err error) {
	m := tokenRE.FindStringSubmatch(token)
	if m == nil {
		return "", "", fmt.Errorf("token is not of the form <6 chars [a-z0-9]>.<16 chars [a-z0-9]>")
	}
	return m[1], m[2], nil
}

const tokenAlphabet = "abcdefghijklmnopqrstuvwxyz0123456789"

func randomString(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = tokenAlphabet[int(b[i])%len(tokenAlphabet)]
	}
	return string(b)
}
