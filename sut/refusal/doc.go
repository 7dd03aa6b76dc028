// Package refusal names why Wasmbed refuses something and where: Reason,
// a stable code, and Stage, the point in a device's connection at which
// the gateway refused it.
//
// Both are contracts. A reason appears in gateway logs as reason=..., as
// the reason label of wasmbed_gateway_refusals_total (whose stage label is
// a Stage), in protocol messages, and in Device and Application status;
// tools and the harness match on them, so none is ever renamed.
//
// The codes are declared beside the specification that gives them:
//
//   - sut/protocol (reasons.go): framing, enrolment and session codes,
//     which the gateway sends to the device in an Error or EnrollResponse;
//   - this package (reasons.go): the gateway's codes for refusals at
//     accept and in the TLS handshake, and for a few of its own checks;
//   - sut/abi (reasons.go): why a device refused or stopped an app.
//
// The package depends on nothing but the standard library, so the device
// firmware and the harness can share it as cheaply as the gateway.
package refusal

// Reason is a stable reason code. Declare new codes with the
// specification they belong to (see the package documentation), never
// inline at a call site.
type Reason string

// Stage is where the gateway refused something: the value of the stage
// label of wasmbed_gateway_refusals_total.
type Stage string
