package protocol

// Stable reason codes. They appear in Error and EnrollResponse messages, in
// gateway logs (reason=...), as the "reason" label of gateway metrics, and
// in Device and Application status. Tools may match on them; never rename
// one.
const (
	// Framing and decoding.
	ReasonFrameTooLarge      = "frame_too_large"
	ReasonFrameTruncated     = "frame_truncated"
	ReasonMalformed          = "malformed_message"
	ReasonUnsupportedVersion = "unsupported_version"
	ReasonUnknownMessage     = "unknown_message_type"
	ReasonUnexpectedMessage  = "unexpected_message"

	// Enrolment.
	ReasonUnknownKey       = "unknown_key"
	ReasonTokenInvalid     = "token_invalid"
	ReasonTokenReused      = "token_reused"
	ReasonTokenExpired     = "token_expired"
	ReasonTokenWrongDevice = "token_wrong_device"
	ReasonCSRInvalid       = "csr_invalid"
	ReasonCSRKeyMismatch   = "csr_key_mismatch"
	ReasonEnrollDisabled   = "enrollment_method_disabled"
	ReasonEnrollDenied     = "enrollment_denied"
	ReasonEnrollTimeout    = "enrollment_timeout"
	ReasonRateLimited      = "rate_limited"
	ReasonAlreadyEnrolled  = "already_enrolled"

	// Sessions.
	ReasonRevoked       = "revoked"
	ReasonWrongGateway  = "wrong_gateway"
	ReasonGatewayFull   = "gateway_full"
	ReasonNotEnrolled   = "not_enrolled"
	ReasonShuttingDown  = "shutting_down"
	ReasonInternalError = "internal_error"
)
