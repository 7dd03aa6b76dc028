package attack

import (
	"regexp"
	"testing"

	"github.com/wasmbed/wasmbed/firmware/abi"
	"github.com/wasmbed/wasmbed/harness/internal/readmesection"
	"github.com/wasmbed/wasmbed/sut/gateway"
	"github.com/wasmbed/wasmbed/sut/protocol"
)

// knownReasons are the SUT's stable reason codes, from the constants the
// SUT itself uses: an attack must expect one of them.
var knownReasons = map[string]bool{
	// protocol
	protocol.ReasonFrameTooLarge: true, protocol.ReasonFrameTruncated: true, protocol.ReasonMalformed: true,
	protocol.ReasonUnsupportedVersion: true, protocol.ReasonUnknownMessage: true, protocol.ReasonUnexpectedMessage: true,
	protocol.ReasonTokenReused: true, protocol.ReasonTokenExpired: true, protocol.ReasonTokenWrongDevice: true,
	protocol.ReasonCSRInvalid: true, protocol.ReasonCSRKeyMismatch: true, protocol.ReasonEnrollDenied: true,
	protocol.ReasonRateLimited: true, protocol.ReasonNotEnrolled: true,
	// gateway
	gateway.ReasonConnectionLimit: true, gateway.ReasonHandshakeTimeout: true, gateway.ReasonTLSVersion: true,
	gateway.ReasonNoCipherSuite: true, gateway.ReasonNoClientCert: true, gateway.ReasonBadSignature: true,
	gateway.ReasonUnknownAuthority: true, gateway.ReasonCertExpired: true, gateway.ReasonCertNotYetValid: true,
	gateway.ReasonCertRevoked: true, gateway.ReasonUnknownDevice: true, gateway.ReasonDeviceRevoked: true,
	gateway.ReasonSupersededCert: true, gateway.ReasonBadKeyType: true, gateway.ReasonNotTLS: true,
	gateway.ReasonFirstMessageTimeout: true,
	// device
	abi.ReasonTrap: true, abi.ReasonTimeout: true, abi.ReasonExit: true, abi.ReasonImportNotGranted: true,
	abi.ReasonUnknownImport: true, abi.ReasonSignatureMissing: true, abi.ReasonSignatureInvalid: true,
	// API server
	ReasonForbidden: true,
}

func TestCatalogIsWellFormed(t *testing.T) {
	name := regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9.]+)*$`)
	seen := map[string]bool{}
	for _, a := range Catalog() {
		switch {
		case !name.MatchString(a.Name):
			t.Errorf("%q is not a kebab-case name", a.Name)
		case seen[a.Name]:
			t.Errorf("%s is listed twice", a.Name)
		case a.Run == nil || a.Does == "" || a.Category == "":
			t.Errorf("%s lacks a run function, a description or a category", a.Name)
		case stageText[a.Stage] == "":
			t.Errorf("%s: unknown stage %q", a.Name, a.Stage)
		case !knownReasons[a.Reason]:
			t.Errorf("%s: %q is not one of the SUT's reason codes", a.Name, a.Reason)
		}
		seen[a.Name] = true
	}
}

// TestREADMEAttackTable keeps README.md's attack table in step with the
// catalogue. Regenerate with WASMBED_UPDATE_README=1 go test ./harness/attack.
func TestREADMEAttackTable(t *testing.T) {
	readmesection.Check(t, "attack-table", Table(), "./harness/attack")
}
