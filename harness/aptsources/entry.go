package aptsources

import "slices"

// Entry is one enabled apt source: the archive URIs that serve some suites
// and components.
type Entry struct {
	// Types are deb and/or deb-src.
	Types []string
	// URIs are the archive's base URIs; the first is the one used.
	URIs []string
	// Suites are releases and pockets: bookworm, bookworm-updates,
	// bookworm-security.
	Suites []string
	// Components are main, contrib, non-free, ...
	Components []string
	// File and Line say where the entry was read, for messages.
	File string
	Line int
}

// serves reports whether e is a binary-package source for suite's main
// component.
func (e Entry) serves(suite string) bool {
	return slices.Contains(e.Types, "deb") && slices.Contains(e.Suites, suite) &&
		slices.Contains(e.Components, "main") && len(e.URIs) > 0
}
