// Package attack is the harness's attack library: reusable steps that build
// real attacking clients — TLS clients with forged, stolen, expired or
// foreign certificates, enrolment clients with replayed tokens and
// mismatched CSRs, raw frame writers, slowloris connections, requests to
// the Kubernetes API as the SUT's service accounts and as an unprivileged
// user, and Applications carrying hostile or unsigned modules — and aim them
// at a gateway through its public device port or at the API server. Nothing
// here is a mock: each attack is the bytes a hostile device, operator or
// app author would send.
//
// Catalog lists every attack with what it does and the refusal it must
// meet: the stage that refuses it and the stable reason code the SUT logs
// and counts (wasmbed_gateway_refusals_total{stage,reason}). The scenarios
// run the catalogue against a live fleet (scenarios/security_test.go), and
// README.md's attack table is rendered from it (Table).
package attack
