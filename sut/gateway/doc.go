// Package gateway is the device-facing half of Wasmbed's control plane.
//
// A gateway terminates TLS 1.3 from devices on one port. A device that
// presents a certificate issued by the Wasmbed CA opens a session: it is
// identified by the certificate's public key, matched against
// Device.spec.publicKey through an informer index (never a List per
// connection), says Hello, heartbeats, and receives its apps. A device that
// presents only a self-signed certificate may do one thing: enrol.
//
// The gateway writes what it observes to Device status, but coalesces: a
// phase change is written at once, a heartbeat only advances lastHeartbeat
// once per status flush interval (a minute by default), so a large fleet
// costs the API server at most one write per device per minute in steady
// state. Sessions carry generations, so the cleanup of an old session can
// never mark Disconnected a device that has already reconnected.
//
// Each gateway renews a Lease; when it stops, the controller marks its
// devices Unreachable, the way the node lifecycle controller treats nodes.
//
// Every refusal — at the TCP, TLS, frame or message level — is logged with
// a stable reason code (sut/protocol/reasons.go, sut/refusal) and counted
// in a Prometheus counter carrying the same code and the stage that
// refused (refusal.Stage).
//
// The MAVLink bridge to the devices' vehicles is its own package,
// sut/vehiclebridge; vehicles.go connects it to the gateway.
package gateway
