// Package protocol is the wire protocol between Wasmbed devices and
// gateways. README.md in this directory is its specification.
//
// A frame is a big-endian u32 length followed by one CBOR envelope
// {version, id, body}. The reader checks the length against its limit
// before it allocates anything, and decodes with strict options (definite
// lengths only, no duplicate map keys, no tags, bounded nesting and sizes,
// unknown fields refused), because the gateway faces devices it must not
// trust: a malformed frame costs the sender its connection and nobody else
// anything.
//
// The package has no dependency on the gateway or the firmware: both, and
// the harness's attack library, speak it.
package protocol
