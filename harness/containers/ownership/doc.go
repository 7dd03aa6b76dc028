// Package ownership marks the Docker objects the harness creates — the
// containers and networks of harness/containers, the kind provider's
// nodes and networks, throw-away probes — with the harness label and the
// creating process's owner token, and sweeps what dead owners left
// behind. It imports nothing of the harness but proc, so every package
// that talks to Docker can use it.
package ownership
