package aptsources

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

const deb822 = `# written by the installer
Types: deb deb-src
URIs: http://archive.example/debian/
Suites: bookworm bookworm-updates
Components: main contrib
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

# a snapshot, switched off
Types: deb
URIs: http://snapshot.example/debian
Suites: bookworm
Components: main
Enabled: no

types: deb
uris: http://security.example/debian-security
suites: bookworm-security
components: main
signed-by:
 -----BEGIN PGP PUBLIC KEY BLOCK-----
 .
 -----END PGP PUBLIC KEY BLOCK-----
`

func TestParseDeb822(t *testing.T) {
	got, err := ParseDeb822("debian.sources", strings.NewReader(deb822))
	if err != nil {
		t.Fatal(err)
	}
	want := []Entry{
		{Types: []string{"deb", "deb-src"}, URIs: []string{"http://archive.example/debian/"}, Suites: []string{"bookworm", "bookworm-updates"},
			Components: []string{"main", "contrib"}, File: "debian.sources", Line: 2},
		{Types: []string{"deb"}, URIs: []string{"http://security.example/debian-security"}, Suites: []string{"bookworm-security"},
			Components: []string{"main"}, File: "debian.sources", Line: 15},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got  %+v\nwant %+v", got, want)
	}
}

func TestParseDeb822Errors(t *testing.T) {
	for name, text := range map[string]string{
		"no colon":             "Types: deb\nURIs http://x.example/debian\n",
		"continuation first":   " continued\nTypes: deb\n",
		"stanza without URIs":  "Types: deb\nSuites: bookworm\n",
		"stanza without Suite": "Types: deb\nURIs: http://x.example/debian\n\n",
	} {
		if _, err := ParseDeb822("bad.sources", strings.NewReader(text)); err == nil || !strings.Contains(err.Error(), "bad.sources:") {
			t.Errorf("%s: error %v, want one naming bad.sources:<line>", name, err)
		}
	}
}

const oneLine = `# deb cdrom:[Debian GNU/Linux 12]/ bookworm main
deb [arch=amd64 signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://archive.example/debian bookworm main non-free-firmware
deb-src http://archive.example/debian bookworm main
deb [ arch=amd64,arm64 trusted=yes ] http://security.example/debian-security bookworm-security main # security
deb http://archive.example/debian bookworm-updates main
`

func TestParseList(t *testing.T) {
	got, err := ParseList("sources.list", strings.NewReader(oneLine))
	if err != nil {
		t.Fatal(err)
	}
	want := []Entry{
		{Types: []string{"deb"}, URIs: []string{"http://archive.example/debian"}, Suites: []string{"bookworm"}, Components: []string{"main", "non-free-firmware"}, File: "sources.list", Line: 2},
		{Types: []string{"deb-src"}, URIs: []string{"http://archive.example/debian"}, Suites: []string{"bookworm"}, Components: []string{"main"}, File: "sources.list", Line: 3},
		{Types: []string{"deb"}, URIs: []string{"http://security.example/debian-security"}, Suites: []string{"bookworm-security"}, Components: []string{"main"}, File: "sources.list", Line: 4},
		{Types: []string{"deb"}, URIs: []string{"http://archive.example/debian"}, Suites: []string{"bookworm-updates"}, Components: []string{"main"}, File: "sources.list", Line: 5},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got  %+v\nwant %+v", got, want)
	}
	for _, bad := range []string{"rpm http://x.example/ bookworm main\n", "deb [arch=amd64 http://x.example/ bookworm main\n", "deb http://x.example/debian\n"} {
		if _, err := ParseList("bad.list", strings.NewReader(bad)); err == nil || !strings.Contains(err.Error(), "bad.list:1") {
			t.Errorf("%q: error %v, want one naming bad.list:1", bad, err)
		}
	}
}

// TestRead reads a configuration directory as apt does: sources.list
// first, then sources.list.d's .list and .sources files by name, others
// ignored.
func TestRead(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("sources.list", "deb http://one.example/debian bookworm main\n")
	write("sources.list.d/b.sources", "Types: deb\nURIs: http://three.example/debian\nSuites: bookworm\nComponents: main\n")
	write("sources.list.d/a.list", "deb http://two.example/debian bookworm main\n")
	write("sources.list.d/c.sources.disabled", "Types: deb\nURIs: http://ignored.example/debian\nSuites: bookworm\nComponents: main\n")
	write("sources.list.d/d.list.save", "deb http://ignored.example/debian bookworm main\n")
	got, err := Read(dir)
	if err != nil {
		t.Fatal(err)
	}
	var uris []string
	for _, e := range got {
		uris = append(uris, e.URIs[0])
	}
	if want := "http://one.example/debian http://two.example/debian http://three.example/debian"; strings.Join(uris, " ") != want {
		t.Fatalf("read %s, want %s", strings.Join(uris, " "), want)
	}
	if es, err := Read(filepath.Join(dir, "missing")); err != nil || len(es) != 0 {
		t.Fatalf("a missing configuration: %v %v", es, err)
	}
	write("sources.list.d/e.sources", "Types deb\n")
	if _, err := Read(dir); err == nil || !strings.Contains(err.Error(), "e.sources:1") {
		t.Fatalf("a broken file: %v", err)
	}
}

func TestMirrorsURI(t *testing.T) {
	entries, err := ParseDeb822("debian.sources", strings.NewReader(deb822))
	if err != nil {
		t.Fatal(err)
	}
	// A third-party repository serving the same suite without main comes
	// first and must not be taken for the archive.
	third, _ := ParseList("vendor.list", strings.NewReader("deb http://vendor.example/apt bookworm stable\n"))
	m := &Mirrors{Entries: append(third, entries...), Release: "bookworm"}
	for suite, want := range map[string]string{
		"bookworm":          "http://archive.example/debian",
		"bookworm-updates":  "http://archive.example/debian",
		"bookworm-security": "http://security.example/debian-security",
		// Releases the machine does not list: its own release's archive.
		"trixie":          "http://archive.example/debian",
		"trixie-updates":  "http://archive.example/debian",
		"trixie-security": "http://security.example/debian-security",
	} {
		if got, err := m.URI(suite); err != nil || got != want {
			t.Errorf("URI(%s) = %q, %v; want %q", suite, got, err, want)
		}
	}

	over := &Mirrors{Archive: "http://local.example/debian/", Security: "http://local.example/security", Entries: m.Entries, Release: "bookworm"}
	if got, _ := over.URI("trixie"); got != "http://local.example/debian" {
		t.Errorf("the archive override gave %q", got)
	}
	if got, _ := over.URI("bookworm-security"); got != "http://local.example/security" {
		t.Errorf("the security override gave %q", got)
	}

	none := &Mirrors{Entries: third, Release: "bookworm"}
	if _, err := none.URI("bookworm"); err == nil || !strings.Contains(err.Error(), "no Debian mirror in /etc/apt/sources.list{,.d}") || !strings.Contains(err.Error(), MirrorEnv) {
		t.Errorf("no archive: %v", err)
	}
	if _, err := none.URI("trixie-security"); err == nil || !strings.Contains(err.Error(), SecurityMirrorEnv) {
		t.Errorf("no security archive: %v", err)
	}
	if _, err := (&Mirrors{Entries: entries}).URI("trixie"); err == nil {
		t.Error("with no known release, trixie was found on a bookworm-only machine")
	}
}

func TestRelease(t *testing.T) {
	path := filepath.Join(t.TempDir(), "os-release")
	os.WriteFile(path, []byte("PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nVERSION_CODENAME=bookworm\nID=debian\n"), 0o644)
	if got := Release(path); got != "bookworm" {
		t.Fatalf("Release = %q", got)
	}
	if got := Release(filepath.Join(t.TempDir(), "none")); got != "" {
		t.Fatalf("Release of a missing file = %q", got)
	}
}
