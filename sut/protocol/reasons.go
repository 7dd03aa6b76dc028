package protocol

import "github.com/wasmbed/wasmbed/sut/refusal"

// Stable reason codes. They appear in Error and EnrollResponse messages, in
// gateway logs (reason=...), as the "reason" label of gateway metrics, and
// in Device and Application status. Tools may match on them; never rename
// one. The gateway's own codes for refusals at accept and in the TLS
// handshake are in sut/refusal, an app's in sut/abi.
const (
	// Framing and decoding.
	ReasonFrameTooLarge      refusal.Reason = "frame_too_large"
	ReasonFrameTruncated     refusal.Reason = "frame_truncated"
	ReasonMalformed          refusal.Reason = "malformed_message"
	ReasonUnsupportedVersion refusal.Reason = "unsupported_version"
	ReasonUnknownMessage     refusal.Reason = "unknown_message_type"
	ReasonUnexpectedMessage  refusal.Reason = "unexpected_message"

	// Enrolment.
	ReasonUnknownKey       refusal.Reason = "unknown_key"
	ReasonTokenInvalid     refusal.Reason = "token_invalid"
	ReasonTokenReused      refusal.Reason = "token_reused"
	ReasonTokenExpired     refusal.Reason = "token_expired"
	ReasonTokenWrongDevice refusal.Reason = "token_wrong_device"
	ReasonCSRInvalid       refusal.Reason = "csr_invalid"
	ReasonCSRKeyMismatch   refusal.Reason = "csr_key_mismatch"
	ReasonEnrollDisabled   refusal.Reason = "enrollment_method_disabled"
	ReasonEnrollDenied     refusal.Reason = "enrollment_denied"
	ReasonEnrollTimeout    refusal.Reason = "enrollment_timeout"
	ReasonRateLimited      refusal.Reason = "rate_limited"
	ReasonAlreadyEnrolled  refusal.Reason = "already_enrolled"

	// Sessions.
	ReasonRevoked       refusal.Reason = "revoked"
	ReasonWrongGateway  refusal.Reason = "wrong_gateway"
	ReasonGatewayFull   refusal.Reason = "gateway_full"
	ReasonNotEnrolled   refusal.Reason = "not_enrolled"
	ReasonShuttingDown  refusal.Reason = "shutting_down"
	ReasonInternalError refusal.Reason = "internal_error"
)

// Reasons lists every code above.
func Reasons() []refusal.Reason {
	return []refusal.Reason{
		ReasonFrameTooLarge, ReasonFrameTruncated, ReasonMalformed, ReasonUnsupportedVersion, ReasonUnknownMessage,
		ReasonUnexpectedMessage,
		ReasonUnknownKey, ReasonTokenInvalid, ReasonTokenReused, ReasonTokenExpired, ReasonTokenWrongDevice,
		ReasonCSRInvalid, ReasonCSRKeyMismatch, ReasonEnrollDisabled, ReasonEnrollDenied, ReasonEnrollTimeout,
		ReasonRateLimited, ReasonAlreadyEnrolled,
		ReasonRevoked, ReasonWrongGateway, ReasonGatewayFull, ReasonNotEnrolled, ReasonShuttingDown, ReasonInternalError,
	}
}
