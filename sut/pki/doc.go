// Package pki is Wasmbed's certificate authority: an Ed25519 CA kept in a
// Kubernetes Secret, the gateway's serving certificate, device certificates
// issued from CSRs, a revocation list, and CA rotation with an overlap.
//
// Devices generate their keys and send CSRs; private keys never leave them.
// The issued certificate carries only what the CA decides — the device name
// as CommonName, client-auth usage, no SANs, never CA rights — whatever the
// CSR asked for.
//
// Rotation keeps enrolled devices connected: the new CA is cross-signed by
// the previous one, the gateway serves its certificate with that
// cross-certificate as intermediate (so devices that still trust only the
// old root verify it), and the trust bundle holds both roots until the
// overlap ends. Devices renew onto the new CA as they reconnect.
package pki
