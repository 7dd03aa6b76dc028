package flakes

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"
	"time"
)

// QuarantineFile is the quarantine list, relative to the repository root.
const QuarantineFile = "scenarios/quarantine.txt"

// Quarantined is one entry of the quarantine list:
//
//	2026-09-20 | ^disconnect .*half-open | flakes when the machine is loaded: issue 42
//
// a date (when it went in), a Go regular expression matched against the
// spec's full name, and why. A quarantined spec still runs and is
// reported, but its failure does not fail the gate.
type Quarantined struct {
	Since   time.Time
	Pattern *regexp.Regexp
	Reason  string
	// Line is the entry's line in the file.
	Line int
}

// Quarantine is the parsed list.
type Quarantine []Quarantined

// LoadQuarantine reads the list at path; a missing file is an empty list.
func LoadQuarantine(path string) (Quarantine, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	q, err := ParseQuarantine(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return q, nil
}

// ParseQuarantine parses the list. Blank lines and lines starting with #
// are ignored; any other line must have the three fields, or the whole
// list is refused: a typo must not quietly let a broken spec through the
// gate, nor quietly gate one that was meant to be out.
func ParseQuarantine(b []byte) (Quarantine, error) {
	var q Quarantine
	var errs []error
	sc := bufio.NewScanner(bytes.NewReader(b))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fields := strings.SplitN(line, "|", 3)
		if len(fields) != 3 {
			errs = append(errs, fmt.Errorf("line %d: want \"YYYY-MM-DD | pattern | reason\", got %q", n, line))
			continue
		}
		date, pat, reason := strings.TrimSpace(fields[0]), strings.TrimSpace(fields[1]), strings.TrimSpace(fields[2])
		since, err := time.Parse(time.DateOnly, date)
		if err != nil {
			errs = append(errs, fmt.Errorf("line %d: date %q: want YYYY-MM-DD", n, date))
			continue
		}
		re, err := regexp.Compile(pat)
		if err != nil || pat == "" {
			errs = append(errs, fmt.Errorf("line %d: pattern %q: %v", n, pat, err))
			continue
		}
		if reason == "" {
			errs = append(errs, fmt.Errorf("line %d: a quarantine needs a reason", n))
			continue
		}
		q = append(q, Quarantined{Since: since, Pattern: re, Reason: reason, Line: n})
	}
	return q, errors.Join(errs...)
}

// Match returns the entry that quarantines the spec called name, if any.
func (q Quarantine) Match(name string) (Quarantined, bool) {
	for _, e := range q {
		if e.Pattern.MatchString(name) {
			return e, true
		}
	}
	return Quarantined{}, false
}

// Unused lists the entries that match none of names: a quarantine that
// outlived its spec (renamed, deleted) should be removed.
func (q Quarantine) Unused(names []string) Quarantine {
	var out Quarantine
	for _, e := range q {
		used := false
		for _, n := range names {
			if e.Pattern.MatchString(n) {
				used = true
				break
			}
		}
		if !used {
			out = append(out, e)
		}
	}
	return out
}
