// Package vehiclebridge is the gateway's MAVLink bridge: for every Device
// the gateway serves that names a vehicle (spec.capabilities.mavlink), it
// keeps a link, a gomavlib node talking to the vehicle's autopilot, and
// connects it to the device's session:
//
//   - telemetry goes to that device's session only, on the vehicle/ topics
//     its apps subscribe to (payload layouts in sut/abi/telemetry.go);
//   - the apps' vehicle commands go to that vehicle only, after the gateway
//     checked them against the Application (command.go);
//   - when the device disconnects while its vehicle flies, the bridge
//     commands the Device's failsafe (spec.failsafe: RTL, else Land).
//
// A gateway serves a device's vehicle while the device has a session with
// it, or was last connected to it (status.gateway), or is pinned to it
// (spec.gatewayRef): after a disconnect the link stays, because that is
// when the vehicle needs its ground station most. The links follow the
// Device objects level-triggered: informer events plus a periodic resync,
// so a link that could not be opened (say, a udp-listen port still in use)
// is retried.
//
// The bridge knows its gateway only through the narrow interfaces in
// options.go: the device sessions it sends on, the status it has
// rewritten, and the audit counter it counts refusals in.
package vehiclebridge
