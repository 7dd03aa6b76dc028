package attack

import (
	"github.com/wasmbed/wasmbed/sut/abi"
	"github.com/wasmbed/wasmbed/sut/protocol"
	"github.com/wasmbed/wasmbed/sut/refusal"
)

// catalog is every attack, grouped by category. Stages and reason codes are
// the SUT's own constants (sut/refusal, sut/protocol/reasons.go,
// sut/abi/reasons.go), never spelled again here; README.md's attack table,
// generated from this catalogue, is where a reviewer sees their values, so
// a changed code shows there as a changed interface.
var catalog = []Attack{
	// TLS.
	{Name: "tls-no-client-cert", Category: CategoryTLS, Does: "completes TLS 1.3 without a client certificate",
		Stage: refusal.StageHandshake, Reason: refusal.ReasonNoClientCert, Run: tlsNoClientCert},
	{Name: "tls-self-signed-session", Category: CategoryTLS, Does: "opens a session (Hello) with a self-signed certificate, which may only enrol",
		Stage: refusal.StageSession, Reason: protocol.ReasonNotEnrolled, Tells: true, Run: selfSignedSession},
	{Name: "tls-foreign-ca", Category: CategoryTLS, Does: "presents a device certificate from a CA of its own making, named like the real one",
		Stage: refusal.StageHandshake, Reason: refusal.ReasonUnknownAuthority, Run: tlsForeignCA},
	{Name: "tls-expired", Category: CategoryTLS, Does: "presents a certificate from the real CA that expired a day ago",
		Stage: refusal.StageHandshake, Reason: refusal.ReasonCertExpired, Run: tlsExpired},
	{Name: "tls-not-yet-valid", Category: CategoryTLS, Does: "presents a certificate from the real CA valid from tomorrow",
		Stage: refusal.StageHandshake, Reason: refusal.ReasonCertNotYetValid, Run: tlsNotYetValid},
	{Name: "tls-revoked", Category: CategoryTLS, Does: "presents its genuine certificate after an operator revoked its Device; the Device's status says so",
		Stage: refusal.StageHandshake, Reason: refusal.ReasonCertRevoked, Run: tlsRevoked},
	{Name: "tls-no-device", Category: CategoryTLS, Does: "presents a valid certificate from the real CA whose key no Device has",
		Stage: refusal.StageHandshake, Reason: refusal.ReasonUnknownDevice, Run: tlsNoDevice},
	{Name: "tls-1.2-only", Category: CategoryTLS, Does: "offers TLS 1.0 to 1.2 only",
		Stage: refusal.StageHandshake, Reason: refusal.ReasonTLSVersion, Run: tls12Only},
	{Name: "tls-weak-suites", Category: CategoryTLS, Does: "offers TLS 1.3 with only RC4, DES, 3DES, NULL and export suites (a hand-made ClientHello)",
		Stage: refusal.StageHandshake, Reason: refusal.ReasonNoCipherSuite, Run: tlsWeakSuites},
	{Name: "tls-stolen-cert", Category: CategoryTLS, Does: "presents a legitimate device's certificate, copied from its flash, without its private key",
		Stage: refusal.StageHandshake, Reason: refusal.ReasonBadSignature, Run: tlsStolenCert},
	{Name: "tls-wrong-key-type", Category: CategoryTLS, Does: "presents a self-signed certificate for an ECDSA P-256 key",
		Stage: refusal.StageHandshake, Reason: refusal.ReasonBadKeyType, Run: tlsWrongKeyType},

	// Enrolment.
	{Name: "enrol-replayed-token", Category: CategoryEnrollment, Does: "replays the token a legitimate device enrolled with, read from its flash, with a new key",
		Stage: refusal.StageEnrollment, Reason: protocol.ReasonTokenReused, Tells: true, Run: enrolReplayedToken},
	{Name: "enrol-expired-token", Category: CategoryEnrollment, Does: "presents a token past its expiration",
		Stage: refusal.StageEnrollment, Reason: protocol.ReasonTokenExpired, Tells: true, Run: enrolExpiredToken},
	{Name: "enrol-token-for-another", Category: CategoryEnrollment, Does: "presents a valid token bound to another device's name; the token stays unspent",
		Stage: refusal.StageEnrollment, Reason: protocol.ReasonTokenWrongDevice, Tells: true, Run: enrolTokenForAnother},
	{Name: "enrol-csr-key-mismatch", Category: CategoryEnrollment, Does: "sends a CSR for a key other than the one its TLS connection proved",
		Stage: refusal.StageEnrollment, Reason: protocol.ReasonCSRKeyMismatch, Tells: true, Run: enrolCSRKeyMismatch},
	{Name: "enrol-invalid-csr", Category: CategoryEnrollment, Does: "sends each refused request of the CSR fuzz corpus (garbage, truncated, tampered, ECDSA)",
		Stage: refusal.StageEnrollment, Reason: protocol.ReasonCSRInvalid, Tells: true, Run: enrolInvalidCSR},
	{Name: "enrol-name-hijack", Category: CategoryEnrollment, Does: "uses an unbound token to claim a legitimate device's name with a new key; the device keeps its key",
		Stage: refusal.StageEnrollment, Reason: protocol.ReasonEnrollDenied, Tells: true, Run: enrolNameHijack},
	{Name: "enrol-revoked", Category: CategoryEnrollment, Does: "re-enrols a revoked device with its own genuine key",
		Stage: refusal.StageEnrollment, Reason: refusal.ReasonDeviceRevoked, Tells: true, Run: enrolRevoked},
	{Name: "enrol-greedy-csr", Category: CategoryEnrollment, Does: "enrols with a CSR asking for system:masters, the gateway's and API server's names and CA rights (none are issued), then signs a certificate with it",
		Stage: refusal.StageHandshake, Reason: refusal.ReasonUnknownAuthority, Run: enrolGreedyThenCA},
	{Name: "enrol-flood", Category: CategoryEnrollment, Does: "makes 120 complete enrolment attempts from one address, 8 at a time; once limited, its connections are closed before the TLS handshake",
		Stage: refusal.StageEnrollment, Reason: protocol.ReasonRateLimited, Tells: true, Run: enrolFlood},

	// Protocol.
	{Name: "frame-malformed-cbor", Category: CategoryProtocol, Does: "sends each malformed message of the fuzz corpus (indefinite lengths, duplicate keys, tags, deep nesting, unknown fields, bad UTF-8, oversized fields...)",
		Stage: refusal.StageFrame, Reason: protocol.ReasonMalformed, Tells: true, Run: frameMalformed},
	{Name: "frame-4gib-length", Category: CategoryProtocol, Does: "sends a frame header announcing 4 GiB, and nothing else",
		Stage: refusal.StageFrame, Reason: protocol.ReasonFrameTooLarge, Tells: true, Run: frame4GiB},
	{Name: "frame-truncated", Category: CategoryProtocol, Does: "announces a 100-byte frame, sends 10 bytes and closes its side",
		Stage: refusal.StageFrame, Reason: protocol.ReasonFrameTruncated, Tells: true, Run: frameTruncated},
	{Name: "frame-unknown-type", Category: CategoryProtocol, Does: "sends envelopes of message types 0 and 99",
		Stage: refusal.StageFrame, Reason: protocol.ReasonUnknownMessage, Tells: true, Run: frameUnknownType},
	{Name: "frame-unknown-version", Category: CategoryProtocol, Does: "sends envelopes of protocol versions 0 and 99",
		Stage: refusal.StageFrame, Reason: protocol.ReasonUnsupportedVersion, Tells: true, Run: frameUnknownVersion},
	{Name: "plaintext-before-tls", Category: CategoryProtocol, Does: "sends a Hello frame in clear text before any TLS handshake",
		Stage: refusal.StageHandshake, Reason: refusal.ReasonNotTLS, Run: plaintextBeforeTLS},
	{Name: "frame-before-handshake-done", Category: CategoryProtocol, Does: "sends an EnrollRequest in the same flight as its TLS Finished, under a certificate the gateway refuses; it is never processed",
		Stage: refusal.StageHandshake, Reason: refusal.ReasonUnknownAuthority, Run: tlsEarlyFrame},
	{Name: "session-before-hello", Category: CategoryProtocol, Does: "an enrolled device sends a Heartbeat before its Hello",
		Stage: refusal.StageSession, Reason: protocol.ReasonUnexpectedMessage, Tells: true, Run: sessionBeforeHello},
	{Name: "session-unknown-version", Category: CategoryProtocol, Does: "an enrolled device offers only protocol versions 99 and 1000 in its Hello",
		Stage: refusal.StageSession, Reason: protocol.ReasonUnsupportedVersion, Tells: true, Run: sessionUnknownVersion},
	{Name: "session-superseded-cert", Category: CategoryProtocol, Does: "a cloned device re-enrols with the same key, then opens a session with the certificate it had before",
		Stage: refusal.StageSession, Reason: refusal.ReasonSupersededCert, Tells: true, Run: sessionSuperseded},
	{Name: "idle-after-handshake", Category: CategoryProtocol, Does: "completes the TLS handshake, then never sends its first message",
		Stage: refusal.StageEnrollment, Reason: refusal.ReasonFirstMessageTimeout, Tells: true, Run: idleAfterHandshake},
	{Name: "slowloris", Category: CategoryProtocol, Does: "holds 24 connections that never finish the handshake, half of them trickling a ClientHello a byte at a time; each is closed within the handshake timeout",
		Stage: refusal.StageHandshake, Reason: refusal.ReasonHandshakeTimeout, Run: slowloris},
	{Name: "connection-cap", Category: CategoryProtocol, Does: "opens 10 more pending connections than the gateway has free slots; the excess is closed at once",
		Stage: refusal.StageConnection, Reason: refusal.ReasonConnectionLimit, Run: connectionCap},

	// Kubernetes RBAC.
	{Name: "rbac-gateway", Category: CategoryRBAC, Does: "checks with SubjectAccessReviews that the gateway's service account has what it needs and nothing more, then deletes a Device, reads kube-system's Secrets, creates an Application and deletes the CA as it",
		Stage: StageAPIServer, Reason: ReasonForbidden, Tells: true, Run: rbacComponent("gateway", GatewayPrivileges, gatewayCalls)},
	{Name: "rbac-controller", Category: CategoryRBAC, Does: "checks the controller's service account the same way, then creates a Device, deletes the CA and lists kube-system's Secrets as it",
		Stage: StageAPIServer, Reason: ReasonForbidden, Tells: true, Run: rbacComponent("controller", ControllerPrivileges, controllerCalls)},
	{Name: "rbac-unprivileged-user", Category: CategoryRBAC, Does: "as an authenticated user with no binding: creates a Device, reads the CA Secret, lists Secrets, forges a token, creates an Application, un-revokes a Device",
		Stage: StageAPIServer, Reason: ReasonForbidden, Tells: true, Run: rbacUnprivileged},

	// WASM sandbox.
	{Name: "sandbox-oob-pointer", Category: CategorySandbox, Does: "an app asks a host function to write past the end of its linear memory",
		Stage: refusal.StageApp, Reason: abi.ReasonTrap, Tells: true, Run: sandboxOOBPointer},
	{Name: "sandbox-import-not-granted", Category: CategorySandbox, Does: "an app imports kv_set without the kv capability",
		Stage: refusal.StageDeploy, Reason: abi.ReasonImportNotGranted, Tells: true, Run: sandboxImportNotGranted},
	{Name: "sandbox-unknown-import", Category: CategorySandbox, Does: "an app imports a host function that does not exist",
		Stage: refusal.StageDeploy, Reason: abi.ReasonUnknownImport, Tells: true, Run: sandboxUnknownImport},
	{Name: "sandbox-wasi-fs", Category: CategorySandbox, Does: "an app imports WASI path_open without the wasi capability",
		Stage: refusal.StageDeploy, Reason: abi.ReasonImportNotGranted, Tells: true, Run: sandboxWASIFS},
	{Name: "sandbox-wasi-no-preopens", Category: CategorySandbox, Does: "an app granted WASI opens etc/passwd: no directory is preopened, it exits with EBADF",
		Stage: refusal.StageApp, Reason: abi.ReasonExit, Tells: true, Run: sandboxWASINoPreopens},
	{Name: "sandbox-host-call-timeout", Category: CategorySandbox, Does: "an app sleeps 24 days inside a host call, with 200 ms of execution time",
		Stage: refusal.StageApp, Reason: abi.ReasonTimeout, Tells: true, Run: sandboxHostCallTimeout},

	// Signed modules.
	{Name: "signed-missing", Category: CategorySigned, Does: "ships an unsigned module to a device that requires signatures",
		Stage: refusal.StageDeploy, Reason: abi.ReasonSignatureMissing, Tells: true, Run: signedUnsigned},
	{Name: "signed-tampered", Category: CategorySigned, Does: "ships a module other than the one a trusted key signed",
		Stage: refusal.StageDeploy, Reason: abi.ReasonSignatureInvalid, Tells: true, Run: signedTampered},
	{Name: "signed-untrusted-key", Category: CategorySigned, Does: "ships a module signed by a key neither the Gateway nor the Device trusts",
		Stage: refusal.StageDeploy, Reason: abi.ReasonSignatureInvalid, Tells: true, Run: signedUntrusted},
}

// Catalog returns every attack, in catalogue order.
func Catalog() []Attack {
	out := make([]Attack, len(catalog))
	copy(out, catalog)
	return out
}
