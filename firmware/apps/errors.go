package apps

import (
	"errors"
	"fmt"

	"github.com/wasmbed/wasmbed/sut/abi"
	"github.com/wasmbed/wasmbed/sut/refusal"
)

// ErrClosed is returned by a Manager after Close.
var ErrClosed = errors.New("apps: manager is closed")

// Refusals and failures are *abi.Error: a stable reason from sut/abi
// (abi.ReasonTimeout, ...) that the agent reports upstream, and a message
// in words a person can act on. abi.ReasonOf reads the reason back.

func failf(app string, reason refusal.Reason, format string, args ...any) *abi.Error {
	return &abi.Error{App: app, Reason: reason, Message: fmt.Sprintf(format, args...)}
}

// Internal outcomes of a run that are not failures.
var (
	// errStopped: the app's context ended (Remove, replace, Close).
	errStopped = errors.New("app stopped")
	// errCompleted: the app has nothing more to run, or called
	// proc_exit(0).
	errCompleted = errors.New("app completed")
)
