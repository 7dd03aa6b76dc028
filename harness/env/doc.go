// Package env is the harness's single entry point for specs, in the manner
// of etcd's tests/framework: a Suite owns the cluster for a whole run, and
// an Env is what one spec gets from it — clients, its own namespace, a
// folder for artifacts, and cleanup that runs whether the spec passes,
// fails or is interrupted.
//
// The package does not import Ginkgo; the scenarios wire Env.Close into
// DeferCleanup. That keeps the harness usable from benchmarks and from the
// `harness up` command.
package env
