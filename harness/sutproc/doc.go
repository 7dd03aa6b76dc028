// Package sutproc runs the system under test — the controller and the
// gateways — as real processes from the binaries `make build` produces,
// against the spec's cluster and namespace.
//
// The processes run with their own service accounts, bound to the
// ClusterRoles generated from the SUT's RBAC markers, so the permissions
// exercised in every scenario are the least-privilege ones that ship. The
// harness can stop, kill and restart each process on demand, and reads the
// gateway's Prometheus metrics over HTTP, as an operator would.
package sutproc
