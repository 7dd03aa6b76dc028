package agent

import (
	"testing"

	"github.com/wasmbed/wasmbed/sut/protocol"
	"github.com/wasmbed/wasmbed/sut/refusal"
)

// After some refusals the certificate is useless and the device enrols
// again; after the others it keeps it and retries.
func TestRefusalForgetsCertificate(t *testing.T) {
	for reason, forgets := range map[refusal.Reason]bool{
		protocol.ReasonNotEnrolled:     true,
		refusal.ReasonUnknownDevice:    true,
		refusal.ReasonSupersededCert:   true,
		refusal.ReasonCertRevoked:      true,
		refusal.ReasonCertExpired:      true,
		refusal.ReasonUnknownAuthority: true,
		refusal.ReasonDeviceRevoked:    false, // revoked: enrolling again is refused too
		protocol.ReasonWrongGateway:    false,
		protocol.ReasonGatewayFull:     false,
		protocol.ReasonShuttingDown:    false,
		"handshake_refused":            false,
		"":                             false,
	} {
		if got := (&Refusal{Reason: reason}).forgetsCertificate(); got != forgets {
			t.Errorf("%q: forgets the certificate = %v, want %v", reason, got, forgets)
		}
	}
}
