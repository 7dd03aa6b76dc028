package kindnode

import (
	"github.com/wasmbed/wasmbed/harness/aptsources"
	"github.com/wasmbed/wasmbed/harness/config"
)

// debianMirror is the Debian archive debootstrap fetches Suite from:
// WASMBED_DEBIAN_MIRROR, else the mirror the machine's own apt sources
// use for it (harness/aptsources). The repository names no mirror: which
// one is reachable is the machine's business.
func debianMirror() (string, error) {
	cfg := config.FromEnv()
	m, err := aptsources.Machine(cfg.DebianMirror, cfg.DebianSecurityMirror)
	if err != nil {
		return "", err
	}
	return m.URI(Suite)
}
