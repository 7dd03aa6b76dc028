// Package containers runs the SUT and devices as Docker containers, built
// by harness/images, through testcontainers-go.
//
// Two things run here:
//
//   - the gateway and the controller, as a sutproc.Launcher: every
//     incarnation of a component is a container of its image with the
//     same arguments the process would get. They use the host's network
//     namespace, because the local control plane's kube-apiserver listens
//     on the host's 127.0.0.1 only and its serving certificate names only
//     that address: on a bridge network the kubeconfig's server URL would
//     have to change to the bridge gateway, and the apiserver would refuse
//     it. With host networking the kubeconfig, the listen addresses and the
//     metrics port stay exactly what the process path uses. The artifact
//     folder (kubeconfigs, logs) is bind-mounted at its host path.
//   - devices, as a fleet.Backend: each device is a firmware container on
//     a Docker network of its own session. Its flash is a host directory
//     bind-mounted at /flash, so the harness provisions and inspects it as
//     for process devices. Containers on a bridge cannot reach the host's
//     loopback, so each device dials a small relay the backend runs on the
//     network's gateway address, which forwards to the device's link proxy
//     (and so keeps the link faults of harness/linkfault in the path).
//
// Network faults act on the container itself: disconnect it from its
// network and connect it again (no FIN reaches the gateway: a half-open
// link), or freeze it with pause and thaw it with unpause.
//
// Ryuk, testcontainers' reaper, cannot be pulled here, so it is disabled
// and this package does the cleanup: every container and network it
// creates carries the wasmbed.io/harness label and an owner label naming
// the creating process (PID and start time). A Session removes what it
// created when it closes; a new Session first sweeps what dead owners
// left behind (a run killed with SIGKILL), and `harness sweep` does the
// same by hand. Containers of live owners — concurrent runs — are left
// alone.
package containers
