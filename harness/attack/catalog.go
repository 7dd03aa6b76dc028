package attack

// catalog is every attack, grouped by category. Reason codes are the SUT's
// stable ones (sut/protocol/reasons.go, sut/gateway/reasons.go,
// firmware/abi/reasons.go); they are spelled out here because a changed
// code is a changed interface, and this table is where a reviewer sees it.
var catalog = []Attack{
	// TLS.
	{Name: "tls-no-client-cert", Category: CategoryTLS, Does: "completes TLS 1.3 without a client certificate",
		Stage: StageHandshake, Reason: "no_client_certificate", Run: tlsNoClientCert},
	{Name: "tls-self-signed-session", Category: CategoryTLS, Does: "opens a session (Hello) with a self-signed certificate, which may only enrol",
		Stage: StageSession, Reason: "not_enrolled", Tells: true, Run: selfSignedSession},
	{Name: "tls-foreign-ca", Category: CategoryTLS, Does: "presents a device certificate from a CA of its own making, named like the real one",
		Stage: StageHandshake, Reason: "unknown_authority", Run: tlsForeignCA},
	{Name: "tls-expired", Category: CategoryTLS, Does: "presents a certificate from the real CA that expired a day ago",
		Stage: StageHandshake, Reason: "certificate_expired", Run: tlsExpired},
	{Name: "tls-not-yet-valid", Category: CategoryTLS, Does: "presents a certificate from the real CA valid from tomorrow",
		Stage: StageHandshake, Reason: "certificate_not_yet_valid", Run: tlsNotYetValid},
	{Name: "tls-revoked", Category: CategoryTLS, Does: "presents its genuine certificate after an operator revoked its Device; the Device's status says so",
		Stage: StageHandshake, Reason: "certificate_revoked", Run: tlsRevoked},
	{Name: "tls-no-device", Category: CategoryTLS, Does: "presents a valid certificate from the real CA whose key no Device has",
		Stage: StageHandshake, Reason: "unknown_device", Run: tlsNoDevice},
	{Name: "tls-1.2-only", Category: CategoryTLS, Does: "offers TLS 1.0 to 1.2 only",
		Stage: StageHandshake, Reason: "tls_version", Run: tls12Only},
	{Name: "tls-weak-suites", Category: CategoryTLS, Does: "offers TLS 1.3 with only RC4, DES, 3DES, NULL and export suites (a hand-made ClientHello)",
		Stage: StageHandshake, Reason: "no_cipher_suite", Run: tlsWeakSuites},
	{Name: "tls-stolen-cert", Category: CategoryTLS, Does: "presents a legitimate device's certificate, copied from its flash, without its private key",
		Stage: StageHandshake, Reason: "bad_certificate_signature", Run: tlsStolenCert},
	{Name: "tls-wrong-key-type", Category: CategoryTLS, Does: "presents a self-signed certificate for an ECDSA P-256 key",
		Stage: StageHandshake, Reason: "bad_key_type", Run: tlsWrongKeyType},

	// Enrolment.
	{Name: "enrol-replayed-token", Category: CategoryEnrollment, Does: "replays the token a legitimate device enrolled with, read from its flash, with a new key",
		Stage: StageEnrollment, Reason: "token_reused", Tells: true, Run: enrolReplayedToken},
	{Name: "enrol-expired-token", Category: CategoryEnrollment, Does: "presents a token past its expiration",
		Stage: StageEnrollment, Reason: "token_expired", Tells: true, Run: enrolExpiredToken},
	{Name: "enrol-token-for-another", Category: CategoryEnrollment, Does: "presents a valid token bound to another device's name; the token stays unspent",
		Stage: StageEnrollment, Reason: "token_wrong_device", Tells: true, Run: enrolTokenForAnother},
	{Name: "enrol-csr-key-mismatch", Category: CategoryEnrollment, Does: "sends a CSR for a key other than the one its TLS connection proved",
		Stage: StageEnrollment, Reason: "csr_key_mismatch", Tells: true, Run: enrolCSRKeyMismatch},
	{Name: "enrol-invalid-csr", Category: CategoryEnrollment, Does: "sends each refused request of the CSR fuzz corpus (garbage, truncated, tampered, ECDSA)",
		Stage: StageEnrollment, Reason: "csr_invalid", Tells: true, Run: enrolInvalidCSR},
	{Name: "enrol-name-hijack", Category: CategoryEnrollment, Does: "uses an unbound token to claim a legitimate device's name with a new key; the device keeps its key",
		Stage: StageEnrollment, Reason: "enrollment_denied", Tells: true, Run: enrolNameHijack},
	{Name: "enrol-revoked", Category: CategoryEnrollment, Does: "re-enrols a revoked device with its own genuine key",
		Stage: StageEnrollment, Reason: "device_revoked", Tells: true, Run: enrolRevoked},
	{Name: "enrol-greedy-csr", Category: CategoryEnrollment, Does: "enrols with a CSR asking for system:masters, the gateway's and API server's names and CA rights (none are issued), then signs a certificate with it",
		Stage: StageHandshake, Reason: "unknown_authority", Run: enrolGreedyThenCA},
	{Name: "enrol-flood", Category: CategoryEnrollment, Does: "makes 120 complete enrolment attempts from one address, 8 at a time; once limited, its connections are closed before the TLS handshake",
		Stage: StageEnrollment, Reason: "rate_limited", Tells: true, Run: enrolFlood},

	// Protocol.
	{Name: "frame-malformed-cbor", Category: CategoryProtocol, Does: "sends each malformed message of the fuzz corpus (indefinite lengths, duplicate keys, tags, deep nesting, unknown fields, bad UTF-8, oversized fields...)",
		Stage: StageFrame, Reason: "malformed_message", Tells: true, Run: frameMalformed},
	{Name: "frame-4gib-length", Category: CategoryProtocol, Does: "sends a frame header announcing 4 GiB, and nothing else",
		Stage: StageFrame, Reason: "frame_too_large", Tells: true, Run: frame4GiB},
	{Name: "frame-truncated", Category: CategoryProtocol, Does: "announces a 100-byte frame, sends 10 bytes and closes its side",
		Stage: StageFrame, Reason: "frame_truncated", Tells: true, Run: frameTruncated},
	{Name: "frame-unknown-type", Category: CategoryProtocol, Does: "sends envelopes of message types 0 and 99",
		Stage: StageFrame, Reason: "unknown_message_type", Tells: true, Run: frameUnknownType},
	{Name: "frame-unknown-version", Category: CategoryProtocol, Does: "sends envelopes of protocol versions 0 and 99",
		Stage: StageFrame, Reason: "unsupported_version", Tells: true, Run: frameUnknownVersion},
	{Name: "plaintext-before-tls", Category: CategoryProtocol, Does: "sends a Hello frame in clear text before any TLS handshake",
		Stage: StageHandshake, Reason: "not_tls", Run: plaintextBeforeTLS},
	{Name: "frame-before-handshake-done", Category: CategoryProtocol, Does: "sends an EnrollRequest in the same flight as its TLS Finished, under a certificate the gateway refuses; it is never processed",
		Stage: StageHandshake, Reason: "unknown_authority", Run: tlsEarlyFrame},
	{Name: "session-before-hello", Category: CategoryProtocol, Does: "an enrolled device sends a Heartbeat before its Hello",
		Stage: StageSession, Reason: "unexpected_message", Tells: true, Run: sessionBeforeHello},
	{Name: "session-unknown-version", Category: CategoryProtocol, Does: "an enrolled device offers only protocol versions 99 and 1000 in its Hello",
		Stage: StageSession, Reason: "unsupported_version", Tells: true, Run: sessionUnknownVersion},
	{Name: "session-superseded-cert", Category: CategoryProtocol, Does: "a cloned device re-enrols with the same key, then opens a session with the certificate it had before",
		Stage: StageSession, Reason: "certificate_superseded", Tells: true, Run: sessionSuperseded},
	{Name: "idle-after-handshake", Category: CategoryProtocol, Does: "completes the TLS handshake, then never sends its first message",
		Stage: StageEnrollment, Reason: "first_message_timeout", Tells: true, Run: idleAfterHandshake},
	{Name: "slowloris", Category: CategoryProtocol, Does: "holds 24 connections that never finish the handshake, half of them trickling a ClientHello a byte at a time; each is closed within the handshake timeout",
		Stage: StageHandshake, Reason: "handshake_timeout", Run: slowloris},
	{Name: "connection-cap", Category: CategoryProtocol, Does: "opens 10 more pending connections than the gateway has free slots; the excess is closed at once",
		Stage: StageConnection, Reason: "connection_limit", Run: connectionCap},

	// Kubernetes RBAC.
	{Name: "rbac-gateway", Category: CategoryRBAC, Does: "checks with SubjectAccessReviews that the gateway's service account has what it needs and nothing more, then deletes a Device, reads kube-system's Secrets, creates an Application and deletes the CA as it",
		Stage: StageAPIServer, Reason: ReasonForbidden, Tells: true, Run: rbacComponent("gateway", GatewayPrivileges, gatewayCalls)},
	{Name: "rbac-controller", Category: CategoryRBAC, Does: "checks the controller's service account the same way, then creates a Device, deletes the CA and lists kube-system's Secrets as it",
		Stage: StageAPIServer, Reason: ReasonForbidden, Tells: true, Run: rbacComponent("controller", ControllerPrivileges, controllerCalls)},
	{Name: "rbac-unprivileged-user", Category: CategoryRBAC, Does: "as an authenticated user with no binding: creates a Device, reads the CA Secret, lists Secrets, forges a token, creates an Application, un-revokes a Device",
		Stage: StageAPIServer, Reason: ReasonForbidden, Tells: true, Run: rbacUnprivileged},

	// WASM sandbox.
	{Name: "sandbox-oob-pointer", Category: CategorySandbox, Does: "an app asks a host function to write past the end of its linear memory",
		Stage: StageApp, Reason: "Trap", Tells: true, Run: sandboxOOBPointer},
	{Name: "sandbox-import-not-granted", Category: CategorySandbox, Does: "an app imports kv_set without the kv capability",
		Stage: StageDeploy, Reason: "ImportNotGranted", Tells: true, Run: sandboxImportNotGranted},
	{Name: "sandbox-unknown-import", Category: CategorySandbox, Does: "an app imports a host function that does not exist",
		Stage: StageDeploy, Reason: "UnknownImport", Tells: true, Run: sandboxUnknownImport},
	{Name: "sandbox-wasi-fs", Category: CategorySandbox, Does: "an app imports WASI path_open without the wasi capability",
		Stage: StageDeploy, Reason: "ImportNotGranted", Tells: true, Run: sandboxWASIFS},
	{Name: "sandbox-wasi-no-preopens", Category: CategorySandbox, Does: "an app granted WASI opens etc/passwd: no directory is preopened, it exits with EBADF",
		Stage: StageApp, Reason: "Exit", Tells: true, Run: sandboxWASINoPreopens},
	{Name: "sandbox-host-call-timeout", Category: CategorySandbox, Does: "an app sleeps 24 days inside a host call, with 200 ms of execution time",
		Stage: StageApp, Reason: "Timeout", Tells: true, Run: sandboxHostCallTimeout},

	// Signed modules.
	{Name: "signed-missing", Category: CategorySigned, Does: "ships an unsigned module to a device that requires signatures",
		Stage: StageDeploy, Reason: "SignatureMissing", Tells: true, Run: signedUnsigned},
	{Name: "signed-tampered", Category: CategorySigned, Does: "ships a module other than the one a trusted key signed",
		Stage: StageDeploy, Reason: "SignatureInvalid", Tells: true, Run: signedTampered},
	{Name: "signed-untrusted-key", Category: CategorySigned, Does: "ships a module signed by a key neither the Gateway nor the Device trusts",
		Stage: StageDeploy, Reason: "SignatureInvalid", Tells: true, Run: signedUntrusted},
}

// Catalog returns every attack, in catalogue order.
func Catalog() []Attack {
	out := make([]Attack, len(catalog))
	copy(out, catalog)
	return out
}
