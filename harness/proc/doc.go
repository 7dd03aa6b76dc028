// Package proc starts and supervises the processes the harness owns: SUT
// components, firmware processes, QEMU guests, simulators.
//
// Leaks are the enemy of a test harness, so every process is started in its
// own process group with a parent-death signal, and carries the harness's
// ownership token in its environment (WASMBED_OWNER). Processes started by
// libraries the harness calls (envtest's etcd and kube-apiserver) inherit the
// token too. If the harness is killed outright, the next harness to start
// calls Sweep, which finds processes whose owner is gone by that token and
// ends them by PID.
package proc
