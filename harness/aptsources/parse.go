package aptsources

import (
	"bufio"
	"fmt"
	"io"
	"strings"
)

// ParseList reads one-line entries (sources.list, *.list):
//
//	deb [ option=value ... ] uri suite [component ...]
//
// '#' starts a comment. An entry without a suite is an error naming its
// line.
func ParseList(name string, r io.Reader) ([]Entry, error) {
	var out []Entry
	sc := bufio.NewScanner(r)
	n := 0
	for sc.Scan() {
		n++
		line, _, _ := strings.Cut(sc.Text(), "#")
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		typ, rest := f[0], f[1:]
		if typ != "deb" && typ != "deb-src" {
			return nil, fmt.Errorf("%s:%d: %q is not deb or deb-src", name, n, typ)
		}
		// Options: "[arch=amd64]", "[ arch=amd64 signed-by=... ]" and any
		// spacing between.
		if len(rest) > 0 && strings.HasPrefix(rest[0], "[") {
			end := -1
			for i, w := range rest {
				if strings.HasSuffix(w, "]") {
					end = i
					break
				}
			}
			if end < 0 {
				return nil, fmt.Errorf("%s:%d: options opened with [ are never closed", name, n)
			}
			rest = rest[end+1:]
		}
		if len(rest) < 2 {
			return nil, fmt.Errorf("%s:%d: want a URI and a suite after %s", name, n, typ)
		}
		out = append(out, Entry{Types: []string{typ}, URIs: rest[:1], Suites: rest[1:2], Components: rest[2:], File: name, Line: n})
	}
	return out, sc.Err()
}

// ParseDeb822 reads deb822 stanzas (*.sources): fields "Name: value",
// continued on lines that start with white space, stanzas separated by
// blank lines, '#' lines ignored. Field names are case-insensitive, as in
// apt. Stanzas with "Enabled: no" are left out.
func ParseDeb822(name string, r io.Reader) ([]Entry, error) {
	var out []Entry
	fields := map[string]string{}
	start, last := 0, ""
	flush := func() error {
		defer func() { fields, last = map[string]string{}, "" }()
		if len(fields) == 0 {
			return nil
		}
		if strings.EqualFold(strings.TrimSpace(fields["enabled"]), "no") {
			return nil
		}
		e := Entry{
			Types: strings.Fields(fields["types"]), URIs: strings.Fields(fields["uris"]),
			Suites: strings.Fields(fields["suites"]), Components: strings.Fields(fields["components"]),
			File: name, Line: start,
		}
		if len(e.Types) == 0 || len(e.URIs) == 0 || len(e.Suites) == 0 {
			return fmt.Errorf("%s:%d: a stanza needs Types, URIs and Suites", name, start)
		}
		out = append(out, e)
		return nil
	}
	sc := bufio.NewScanner(r)
	n := 0
	for sc.Scan() {
		n++
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "#"):
		case strings.TrimSpace(line) == "":
			if err := flush(); err != nil {
				return nil, err
			}
		case line[0] == ' ' || line[0] == '\t':
			if last == "" {
				return nil, fmt.Errorf("%s:%d: a continuation line with no field before it", name, n)
			}
			fields[last] += " " + strings.TrimSpace(line)
		default:
			k, v, ok := strings.Cut(line, ":")
			if !ok {
				return nil, fmt.Errorf("%s:%d: %q is not a Name: value field", name, n, line)
			}
			if len(fields) == 0 {
				start = n
			}
			last = strings.ToLower(strings.TrimSpace(k))
			fields[last] = strings.TrimSpace(v)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if err := flush(); err != nil {
		return nil, err
	}
	return out, nil
}
