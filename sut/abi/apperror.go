package abi

import (
	"errors"
	"fmt"

	"github.com/wasmbed/wasmbed/sut/refusal"
)

// Error is why an app was refused or failed: a stable Reason (one of this
// package's Reason* codes) that a device reports upstream, and a Message in
// words a person can act on. The device runtime returns it for every
// refusal and failure; module checks made before a module reaches a
// device (sut/modulecheck) return it too, so the gateway reports the same
// reason a device would.
type Error struct {
	App     string
	Reason  refusal.Reason
	Message string
	// Err is the underlying error, if any.
	Err error
	// Permanent marks a failure a restart cannot cure: the same module
	// would fail the same way (README.md: refusals at install are never
	// retried).
	Permanent bool
}

// Error formats the error as "app <name>: <Reason>: <Message>".
func (e *Error) Error() string {
	return fmt.Sprintf("app %s: %s: %s", e.App, e.Reason, e.Message)
}

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }

// ReasonOf returns the reason code of err, or "" if err carries none.
func ReasonOf(err error) refusal.Reason {
	var e *Error
	if errors.As(err, &e) {
		return e.Reason
	}
	return ""
}
