// Package browser drives headless Chromium (Debian's chromium package,
// installed by `make deps`) to check pages the harness writes as a person
// would see them: the DOM after the page's script ran, and a screenshot.
//
// Each call starts a fresh browser with its own profile in a temporary
// folder, as a process group owned by this process (harness/proc), and
// ends the whole group before returning, whatever happened.
package browser
