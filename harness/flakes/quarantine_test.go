package flakes

import (
	"strings"
	"testing"
)

func TestQuarantineRefusesAnEntryWithoutDateOrReason(t *testing.T) {
	for _, bad := range []string{
		"^x$ | no date",
		"2026-13-01 | ^x$ | a bad date",
		"2026-09-01 | ^x( | a bad pattern",
		"2026-09-01 | ^x$ |",
		"2026-09-01 |  | empty pattern",
	} {
		if _, err := ParseQuarantine([]byte("2026-09-01 | fine | fine\n" + bad + "\n")); err == nil || !strings.Contains(err.Error(), "line 2") {
			t.Errorf("%q: %v, want an error naming line 2", bad, err)
		}
	}
	q, err := ParseQuarantine([]byte("\n# comment\n2026-09-01 | ^disconnect .*half-open | flakes on a loaded machine | see issue 42\n"))
	if err != nil {
		t.Fatal(err)
	}
	e, ok := q.Match("disconnect detects a half-open link")
	if !ok || e.Reason != "flakes on a loaded machine | see issue 42" || e.Since.Format("2006-01-02") != "2026-09-01" || e.Line != 3 {
		t.Errorf("%+v %v", e, ok)
	}
	if _, ok := q.Match("deploy a half-open"); ok {
		t.Error("matched a spec the pattern does not name")
	}
	if u := q.Unused([]string{"deploy x"}); len(u) != 1 {
		t.Errorf("an entry matching nothing is not reported unused: %v", u)
	}
}

func TestTheCommittedQuarantineParses(t *testing.T) {
	if _, err := LoadQuarantine("../../" + QuarantineFile); err != nil {
		t.Fatal(err)
	}
}
