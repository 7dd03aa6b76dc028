// Package registryhosts keeps package-registry host names out of the
// repository (README, "Where packages come from"). Which Debian mirror or
// module proxy a machine reaches is the machine's business: the harness
// reads the mirror from the machine's apt sources (harness/aptsources) and
// Go reads its proxy from the environment, so a registry host written into
// a file here would be at best dead text and at worst the wrong mirror.
//
// TestNoRegistryHosts greps every tracked file for the well-known
// registries' hosts (Hosts) and for the hosts this machine's own apt
// sources and Go proxy name, and fails naming file:line. The list is
// assembled from parts, so this package does not contain the names it
// forbids.
package registryhosts

import "strings"

// host joins the labels of a host name.
func host(labels ...string) string { return strings.Join(labels, ".") }

// Hosts are the package registries' host names no file may contain:
// Debian's and Ubuntu's archives, the Go module proxy and checksum
// database, and the language registries a build might reach for.
var Hosts = []string{
	// Debian
	host("deb", "debian", "org"), host("ftp", "debian", "org"), host("security", "debian", "org"),
	host("snapshot", "debian", "org"), host("archive", "debian", "org"), host("httpredir", "debian", "org"),
	host("cdn-fastly", "deb", "debian", "org"), host("ftp", "us", "debian", "org"), host("ftp", "de", "debian", "org"),
	// Ubuntu
	host("archive", "ubuntu", "com"), host("security", "ubuntu", "com"), host("ports", "ubuntu", "com"),
	// Go
	host("proxy", "golang", "org"), host("sum", "golang", "org"), host("index", "golang", "org"),
	host("goproxy", "io"), host("goproxy", "cn"),
	// Python, JavaScript, Rust, Ruby, Java, Alpine
	host("pypi", "org"), host("files", "pythonhosted", "org"), host("pypi", "python", "org"),
	host("registry", "npmjs", "org"), host("registry", "yarnpkg", "com"),
	host("crates", "io"), host("static", "crates", "io"), host("index", "crates", "io"),
	host("rubygems", "org"), host("repo", "maven", "apache", "org"), host("repo1", "maven", "org"),
	host("dl-cdn", "alpinelinux", "org"),
}
