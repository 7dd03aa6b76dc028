package aptsources

import (
	"fmt"
	"strings"
)

// The variables that override the machine's apt sources; harness/config
// declares them.
const (
	MirrorEnv         = "WASMBED_DEBIAN_MIRROR"
	SecurityMirrorEnv = "WASMBED_DEBIAN_SECURITY_MIRROR"
)

// Mirrors says which Debian archive URI serves a suite.
type Mirrors struct {
	// Archive and Security, if set, serve every suite of their pocket:
	// Security the *-security suites, Archive the others.
	Archive, Security string
	// Entries are the machine's apt sources, asked when no override is
	// set.
	Entries []Entry
	// Release is the machine's own Debian release; its entries stand in
	// for a release the machine does not list.
	Release string
}

// Machine returns the Mirrors of this machine: its apt sources and
// release, under the given overrides (empty for none).
func Machine(archive, security string) (*Mirrors, error) {
	entries, err := Read(Dir)
	if err != nil {
		return nil, fmt.Errorf("reading the apt sources: %w", err)
	}
	return &Mirrors{Archive: archive, Security: security, Entries: entries, Release: Release("/etc/os-release")}, nil
}

// URI returns the base URI of the archive that serves suite (bookworm,
// trixie-updates, bookworm-security), without a trailing slash: the
// override of its pocket; else the first entry listing the suite with its
// main component; else the entry serving the same pocket of the machine's
// release (bookworm-security for trixie-security), since one archive
// serves every release. It fails saying which variable to set.
func (m *Mirrors) URI(suite string) (string, error) {
	security := strings.HasSuffix(suite, "-security")
	override, env := m.Archive, MirrorEnv
	if security {
		override, env = m.Security, SecurityMirrorEnv
	}
	if override != "" {
		return strings.TrimSuffix(override, "/"), nil
	}
	try := []string{suite}
	if _, pocket, _ := strings.Cut(suite, "-"); m.Release != "" {
		if pocket != "" {
			pocket = "-" + pocket
		}
		if alt := m.Release + pocket; alt != suite {
			try = append(try, alt)
		}
	}
	for _, s := range try {
		for _, e := range m.Entries {
			if e.serves(s) {
				return strings.TrimSuffix(e.URIs[0], "/"), nil
			}
		}
	}
	return "", fmt.Errorf("no Debian mirror in /etc/apt/sources.list{,.d} serves %s (looked for %s): set %s", suite, strings.Join(try, ", "), env)
}
