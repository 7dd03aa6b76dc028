package kindnode

import (
	"bufio"
	"errors"
	"os"
	"path/filepath"
	"strings"
)

// MirrorEnv overrides the Debian mirror debootstrap uses.
const MirrorEnv = "WASMBED_DEBIAN_MIRROR"

// aptSources are the machine's apt configuration files, one-line and
// deb822 style.
var aptSources = func() []string {
	files := []string{"/etc/apt/sources.list"}
	for _, pat := range []string{"/etc/apt/sources.list.d/*.list", "/etc/apt/sources.list.d/*.sources"} {
		m, _ := filepath.Glob(pat)
		files = append(files, m...)
	}
	return files
}

// debianMirror is the Debian archive debootstrap fetches from: $MirrorEnv,
// else the first archive (a URI ending in /debian, not the security or
// ports archives) in the machine's apt configuration. The repository
// names no mirror itself: which one is reachable is the machine's business.
func debianMirror() (string, error) {
	if m := os.Getenv(MirrorEnv); m != "" {
		return m, nil
	}
	for _, f := range aptSources() {
		if m := mirrorIn(f); m != "" {
			return m, nil
		}
	}
	return "", errors.New("no Debian archive in the apt configuration (/etc/apt/sources.list, /etc/apt/sources.list.d); set " + MirrorEnv)
}

// mirrorIn returns the first Debian archive URI in one apt sources file.
func mirrorIn(path string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(line, "#") {
			continue
		}
		var uris []string
		if rest, ok := strings.CutPrefix(line, "URIs:"); ok { // deb822
			uris = strings.Fields(rest)
		} else if fields := strings.Fields(line); len(fields) >= 3 && fields[0] == "deb" { // one-line
			for _, fl := range fields[1:] {
				if !strings.HasPrefix(fl, "[") && !strings.HasSuffix(fl, "]") {
					uris = append(uris, fl)
					break
				}
			}
		}
		for _, u := range uris {
			if strings.HasSuffix(strings.TrimSuffix(u, "/"), "/debian") && (strings.HasPrefix(u, "http://") || strings.HasPrefix(u, "https://")) {
				return strings.TrimSuffix(u, "/")
			}
		}
	}
	return ""
}
