package abi

import "time"

// Defaults of an app's limits, for an Application that leaves them unset
// (README.md, "App model"). They are the Application CRD's defaults
// (sut/api/v1alpha1, AppLimits): the gateway fills them into a Deploy, the
// controller sizes devices by them, and a device applies them to a spec
// that arrives without them.
const (
	// DefaultMaxMemoryPages caps linear memory: 16 pages of 64 KiB, 1 MiB.
	DefaultMaxMemoryPages = 16
	// DefaultMaxExecution caps each call into the app.
	DefaultMaxExecution = time.Second
	// DefaultMaxRestarts is how many times a failing app is restarted
	// before it is left Failed.
	DefaultMaxRestarts = 5
)
