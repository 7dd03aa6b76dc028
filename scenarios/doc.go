// Package scenarios is Wasmbed's scenario suite: Ginkgo v2 specs that boot a
// cluster, the SUT and fleets of devices through the harness, and assert on
// what they observe through the SUT's public interfaces only (the
// Kubernetes API, the device protocol and MAVLink).
//
// Run it with `ginkgo run ./scenarios` or `go test ./scenarios/...`; select
// areas with labels (smoke, enrollment, deploy, disconnect, security, qemu,
// px4, scale, containers; kind has no specs yet: see the README).
package scenarios
