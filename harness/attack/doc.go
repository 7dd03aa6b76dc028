// Package attack is the harness's attack library: reusable steps that build
// real attacking clients — TLS clients with forged, stolen, expired or
// foreign certificates, enrolment clients with replayed tokens and
// mismatched CSRs, raw frame writers, slowloris connections — and aim them
// at a gateway through its public device port. Nothing here is a mock: each
// attack is the bytes a hostile device would send.
package attack
