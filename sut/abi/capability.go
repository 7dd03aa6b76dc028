package abi

// Capability names what an Application must grant before its module may
// import a host function. The names match the Application CRD's
// spec.capabilities fields.
type Capability string

// Capabilities.
const (
	// CapNone marks functions every app may import.
	CapNone Capability = ""
	// CapLog grants log.
	CapLog Capability = "log"
	// CapClock grants clock_ms, time_unix_ms, sleep_ms and yield.
	CapClock Capability = "clock"
	// CapKV grants kv_get, kv_set and kv_delete.
	CapKV Capability = "kv"
	// CapPublish grants publish; it is granted when the Application lists at
	// least one publish topic.
	CapPublish Capability = "publish"
	// CapMAVLink grants vehicle_command; it is granted when the Application
	// lists at least one MAVLink command.
	CapMAVLink Capability = "mavlink"
	// CapWASI grants every import from WASIModuleName.
	CapWASI Capability = "wasi"
)

// grantedBy names, for a person, what grants each capability.
var grantedBy = map[Capability]string{
	CapLog:     "the log capability",
	CapClock:   "the clock capability",
	CapKV:      "the kv capability",
	CapWASI:    "the wasi capability",
	CapPublish: "the publish capability (a topic in capabilities.publish)",
	CapMAVLink: "the mavlink capability (a command in capabilities.mavlink)",
}

// GrantedBy tells a person which Application field grants c, e.g. "the
// publish capability (a topic in capabilities.publish)", for messages that
// refuse an import or a call.
func (c Capability) GrantedBy() string { return grantedBy[c] }
