//go:build tools

// Package critools is the build module of crictl for the offline kind node
// image: kind's `export logs` and anyone debugging a node run it. It is a
// module of its own because cri-tools would move the dependencies the
// Kubernetes build module (../kubebuild) pins to Kubernetes' own. The
// kindnode package runs `go build` here; nothing imports this package.
package critools

import _ "sigs.k8s.io/cri-tools/cmd/crictl"
