// Package agent is the Wasmbed device agent: the part of the firmware that
// enrols, holds a mutual-TLS session with a gateway, heartbeats, and hands
// deployed modules to the app runtime.
//
// The same library runs as a host process (firmware/cmd/device), as PID 1
// of a QEMU guest (over a serial link instead of TCP), and many times in
// one process for large simulated fleets. So it keeps no global state:
// everything hangs off an Agent, its transport is a Dial function, and its
// persistent state lives in a flash.Store.
//
// The private key is generated on the device and never leaves it: the
// agent sends a CSR and proves possession by presenting a self-signed
// certificate for the key during the enrolment handshake.
package agent
