package registryhosts

import (
	"bufio"
	"bytes"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/wasmbed/wasmbed/harness/aptsources"
	"github.com/wasmbed/wasmbed/harness/workspace"
)

// TestNoRegistryHosts fails for every line of a tracked file that names a
// package registry's host: one of Hosts, or one this machine's apt
// sources or Go proxy use.
func TestNoRegistryHosts(t *testing.T) {
	root, err := workspace.Root()
	if err != nil {
		t.Fatal(err)
	}
	hosts := append(machineHosts(t), Hosts...)
	re := pattern(hosts)
	out, err := exec.Command("git", "-C", root, "ls-files", "-z").Output()
	if err != nil {
		t.Fatalf("git ls-files (the test reads the tracked tree): %v", err)
	}
	files := strings.Split(strings.TrimRight(string(out), "\x00"), "\x00")
	if len(files) < 100 {
		t.Fatalf("git ls-files listed %d files; is %s the repository?", len(files), root)
	}
	for _, name := range files {
		data, err := os.ReadFile(filepath.Join(root, name))
		if err != nil {
			continue // deleted in the work tree, not yet committed
		}
		for _, hit := range find(re, data) {
			t.Errorf("%s:%d names the package registry %s: say \"the Debian mirror\" (or the Go module proxy) and let the machine's configuration name it", name, hit.line, hit.host)
		}
	}
}

// TestPatternMatchesWholeHosts: the pattern finds a host in a URL, a
// sentence or a config line, and not a longer host that merely ends or
// starts with it.
func TestPatternMatchesWholeHosts(t *testing.T) {
	h := host("sum", "golang", "org")
	re := pattern([]string{h})
	for text, want := range map[string]bool{
		"GOSUMDB=" + h:                      true,
		"see https://" + h + "/lookup":      true,
		"(" + h + ").":                      true,
		"checksum" + h[3:]:                  false, // checksum.golang.org
		"google." + h[4:] + "/protobuf v1":  false, // a module path on golang.org
		"x" + h:                             false,
		"binary\x00" + h + " in a binary\n": false,
	} {
		if got := len(find(re, []byte(text))) > 0; got != want {
			t.Errorf("%q: found %v, want %v", text, got, want)
		}
	}
}

type hit struct {
	line int
	host string
}

// find returns the lines of a text file that name a host; binary files
// (with a NUL byte) are skipped.
func find(re *regexp.Regexp, data []byte) []hit {
	if bytes.IndexByte(data, 0) >= 0 {
		return nil
	}
	var hits []hit
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for n := 1; sc.Scan(); n++ {
		if m := re.FindStringSubmatch(sc.Text()); m != nil {
			hits = append(hits, hit{n, strings.ToLower(m[1])})
		}
	}
	return hits
}

// pattern matches any of hosts as a whole host name, case-insensitively.
func pattern(hosts []string) *regexp.Regexp {
	quoted := make([]string, 0, len(hosts))
	for _, h := range hosts {
		quoted = append(quoted, regexp.QuoteMeta(h))
	}
	sort.Strings(quoted)
	return regexp.MustCompile(`(?i)(?:^|[^a-z0-9.-])(` + strings.Join(quoted, "|") + `)(?:$|[^a-z0-9-])`)
}

// machineHosts are the hosts of this machine's apt sources and Go proxy
// and checksum database: whatever they are, the repository must not name
// them either. Addresses and localhost are no registry's name.
func machineHosts(t *testing.T) []string {
	t.Helper()
	var uris []string
	entries, err := aptsources.Read(aptsources.Dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		uris = append(uris, e.URIs...)
	}
	out, err := exec.Command("go", "env", "GOPROXY", "GOSUMDB").Output()
	if err != nil {
		t.Fatalf("go env: %v", err)
	}
	for _, f := range strings.FieldsFunc(string(out), func(r rune) bool { return r == ',' || r == '|' || r == '\n' || r == ' ' }) {
		if !strings.Contains(f, "://") {
			f = "https://" + f
		}
		uris = append(uris, f)
	}
	var hosts []string
	for _, u := range uris {
		p, err := url.Parse(u)
		if err != nil {
			continue
		}
		h := p.Hostname()
		if h == "" || h == "localhost" || !strings.Contains(h, ".") || net.ParseIP(h) != nil || h == "direct" || h == "off" {
			continue
		}
		hosts = append(hosts, h)
	}
	return hosts
}
