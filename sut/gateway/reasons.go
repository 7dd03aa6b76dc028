package gateway

// Refusal reasons that exist only at the gateway (connection and TLS
// level). Message-level codes are in sut/protocol/reasons.go. Like those,
// these are stable: they label metrics and appear in logs as reason=...
const (
	ReasonConnectionLimit     = "connection_limit"
	ReasonHandshakeTimeout    = "handshake_timeout"
	ReasonTLSVersion          = "tls_version"
	ReasonNoCipherSuite       = "no_cipher_suite"
	ReasonNoClientCert        = "no_client_certificate"
	ReasonBadSignature        = "bad_certificate_signature"
	ReasonUnknownAuthority    = "unknown_authority"
	ReasonCertExpired         = "certificate_expired"
	ReasonCertNotYetValid     = "certificate_not_yet_valid"
	ReasonCertRevoked         = "certificate_revoked"
	ReasonUnknownDevice       = "unknown_device"
	ReasonDeviceRevoked       = "device_revoked"
	ReasonSupersededCert      = "certificate_superseded"
	ReasonBadKeyType          = "bad_key_type"
	ReasonHandshakeOther      = "handshake_error"
	ReasonBootstrapOnly       = "bootstrap_certificate_cannot_open_session"
	ReasonCapabilityNotGrant  = "capability_not_granted"
	ReasonCommandRateLimited  = "command_rate_limited"
	ReasonVehicleNotAvailable = "vehicle_not_available"

	// ReasonNotTLS: the first bytes on the device port were not a TLS
	// record, e.g. protocol frames sent before any handshake.
	ReasonNotTLS = "not_tls"
	// ReasonFirstMessageTimeout: a client finished the TLS handshake and
	// then sent no complete first message within the handshake timeout.
	ReasonFirstMessageTimeout = "first_message_timeout"
)
