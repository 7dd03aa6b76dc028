// Package controller holds Wasmbed's reconcilers, run by one
// controller-runtime manager with leader election:
//
//   - DeviceReconciler applies the enrolment policy (the gateway proposes,
//     the controller approves or denies), keeps Device conditions in step
//     with the phase the gateway observes, and puts revoked devices'
//     certificates on the CA's revocation list;
//   - LivenessReconciler watches each gateway's Lease and, once it has
//     expired for the Gateway's grace period, marks that gateway's devices
//     Unreachable — the node-lifecycle pattern;
//   - CAReconciler creates the CA on first start, rotates it on request and
//     ends the rotation overlap when it is due;
//   - ApplicationReconciler resolves modules, selects target devices and
//     records the assignment in Application status, where gateways pick it
//     up level-triggered from their informers.
//
// Reconcilers are small and idempotent; they write status with optimistic
// concurrency, so a stale read never overwrites what a gateway observed.
package controller
