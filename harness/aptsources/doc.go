// Package aptsources reads the machine's apt sources and says which
// Debian archive serves a suite, so the image builders (qemu-images'
// kernel fetcher, harness/kindnode's debootstrap) fetch from the mirror
// this machine already uses, and the repository names none.
//
// apt keeps its sources in two formats: one-line entries in
// /etc/apt/sources.list and sources.list.d/*.list, and deb822 stanzas in
// sources.list.d/*.sources. Both are parsed here into Entry values, as apt
// reads them: comments dropped, disabled stanzas skipped, files in apt's
// order.
//
// Mirrors then answers "which URI serves suite X": an override
// (WASMBED_DEBIAN_MIRROR, WASMBED_DEBIAN_SECURITY_MIRROR, declared in
// harness/config) if one is set, else the entry that lists the suite, else
// for a release the machine does not list (trixie on a bookworm machine)
// the entry of the machine's own release with the same pocket, because one
// Debian archive serves every release.
package aptsources
