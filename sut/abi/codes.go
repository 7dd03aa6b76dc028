package abi

// Codes host functions return. Non-negative results are successes (often a
// length or an id); negative ones are these errors. A pointer and length
// that do not lie inside the app's linear memory are not reported with a
// code: the call traps (see README.md).
const (
	// OK is success for functions that return nothing else.
	OK int32 = 0
	// ErrNotFound: no such key (kv_get, kv_delete, config_get).
	ErrNotFound int32 = -1
	// ErrBufferTooSmall: the value does not fit the buffer; nothing was
	// written.
	ErrBufferTooSmall int32 = -2
	// ErrNotPermitted: the Application does not grant this topic or vehicle
	// command.
	ErrNotPermitted int32 = -3
	// ErrInvalidArgument: an empty or too long key or topic, a too large
	// value or message, a malformed request.
	ErrInvalidArgument int32 = -4
	// ErrQuotaExceeded: the app's key-value store would exceed
	// MaxKVBytes, or too many vehicle commands are in flight.
	ErrQuotaExceeded int32 = -5
	// ErrUnavailable: the device cannot do it now (no vehicle attached, no
	// upstream for publish).
	ErrUnavailable int32 = -6
	// ErrIO: the device failed to persist the change; the store is unchanged.
	ErrIO int32 = -7
)

// CodeName returns the name of a code, e.g. "ErrNotFound", for logs.
func CodeName(code int32) string {
	switch code {
	case OK:
		return "OK"
	case ErrNotFound:
		return "ErrNotFound"
	case ErrBufferTooSmall:
		return "ErrBufferTooSmall"
	case ErrNotPermitted:
		return "ErrNotPermitted"
	case ErrInvalidArgument:
		return "ErrInvalidArgument"
	case ErrQuotaExceeded:
		return "ErrQuotaExceeded"
	case ErrUnavailable:
		return "ErrUnavailable"
	case ErrIO:
		return "ErrIO"
	}
	if code > 0 {
		return "OK"
	}
	return "unknown"
}

// Log levels for log(level, ...). Other values log at LogInfo.
const (
	LogDebug int32 = 0
	LogInfo  int32 = 1
	LogWarn  int32 = 2
	LogError int32 = 3
)
