package apps

import (
	"errors"
	"fmt"
)

// ErrClosed is returned by a Manager after Close.
var ErrClosed = errors.New("apps: manager is closed")

// Error is why an app was refused or failed. Reason is a stable code from
// firmware/abi (abi.ReasonTimeout, ...) that the agent reports upstream;
// Message says what happened in words a person can act on.
type Error struct {
	App     string
	Reason  string
	Message string
	// Err is the underlying error, if any.
	Err error

	// permanent failures are not worth a restart: the same module would
	// fail the same way.
	permanent bool
}

// Error formats the error as "app <name>: <Reason>: <Message>".
func (e *Error) Error() string {
	return fmt.Sprintf("app %s: %s: %s", e.App, e.Reason, e.Message)
}

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }

// ReasonOf returns the reason code of err, or "" if err carries none.
func ReasonOf(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Reason
	}
	return ""
}

func failf(app, reason, format string, args ...any) *Error {
	return &Error{App: app, Reason: reason, Message: fmt.Sprintf(format, args...)}
}

// Internal outcomes of a run that are not failures.
var (
	// errStopped: the app's context ended (Remove, replace, Close).
	errStopped = errors.New("app stopped")
	// errCompleted: the app has nothing more to run, or called
	// proc_exit(0).
	errCompleted = errors.New("app completed")
)
