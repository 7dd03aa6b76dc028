package refusal

// The gateway's own reason codes: refusals at accept and in the TLS
// handshake, which reach the client only as a closed connection or a TLS
// alert, and a few session-level checks the gateway makes against the API
// (device_revoked, certificate_superseded, unknown_device, sent in an
// Error or EnrollResponse, and first_message_timeout). The protocol's
// codes are in sut/protocol/reasons.go, an app's in sut/abi/reasons.go.
const (
	// At accept.
	ReasonConnectionLimit Reason = "connection_limit"

	// In the TLS handshake.
	ReasonHandshakeTimeout Reason = "handshake_timeout"
	ReasonTLSVersion       Reason = "tls_version"
	ReasonNoCipherSuite    Reason = "no_cipher_suite"
	ReasonNoClientCert     Reason = "no_client_certificate"
	ReasonBadSignature     Reason = "bad_certificate_signature"
	ReasonUnknownAuthority Reason = "unknown_authority"
	ReasonCertExpired      Reason = "certificate_expired"
	ReasonCertNotYetValid  Reason = "certificate_not_yet_valid"
	ReasonCertRevoked      Reason = "certificate_revoked"
	ReasonBadKeyType       Reason = "bad_key_type"
	// ReasonHandshakeOther: a handshake that failed for a reason none of
	// the codes above names.
	ReasonHandshakeOther Reason = "handshake_error"
	// ReasonNotTLS: the first bytes on the device port were not a TLS
	// record, e.g. protocol frames sent before any handshake.
	ReasonNotTLS Reason = "not_tls"

	// Against the Device in the API, in the handshake or at Hello.
	ReasonUnknownDevice  Reason = "unknown_device"
	ReasonDeviceRevoked  Reason = "device_revoked"
	ReasonSupersededCert Reason = "certificate_superseded"

	// ReasonFirstMessageTimeout: a client finished the TLS handshake and
	// then sent no complete first message within the handshake timeout.
	ReasonFirstMessageTimeout Reason = "first_message_timeout"

	// ReasonCapabilityNotGranted: an app published on a topic reserved for
	// the gateway (vehicle/...).
	ReasonCapabilityNotGranted Reason = "capability_not_granted"
)

// Reasons lists every code above.
func Reasons() []Reason {
	return []Reason{
		ReasonConnectionLimit,
		ReasonHandshakeTimeout, ReasonTLSVersion, ReasonNoCipherSuite, ReasonNoClientCert, ReasonBadSignature,
		ReasonUnknownAuthority, ReasonCertExpired, ReasonCertNotYetValid, ReasonCertRevoked, ReasonBadKeyType,
		ReasonHandshakeOther, ReasonNotTLS,
		ReasonUnknownDevice, ReasonDeviceRevoked, ReasonSupersededCert,
		ReasonFirstMessageTimeout,
		ReasonCapabilityNotGranted,
	}
}
