package timeline

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestAJournalReadsBackWhatWasRecorded(t *testing.T) {
	dir := t.TempDir()
	j, err := Create(dir, "faults")
	if err != nil {
		t.Fatal(err)
	}
	if j.Path() != filepath.Join(dir, "faults"+Suffix) {
		t.Errorf("path %s", j.Path())
	}
	at := time.Date(2026, 9, 1, 2, 3, 4, 0, time.UTC)
	j.Record(Event{Time: at, Subject: "link d1", Kind: "cut", Level: Warn, Text: "link d1: cut"})
	var wg sync.WaitGroup
	for range 50 {
		wg.Add(1)
		go func() { defer wg.Done(); j.Record(Event{Kind: "restore"}) }()
	}
	wg.Wait()
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	j.Record(Event{Kind: "after close"}) // dropped, not a panic
	es, err := Read(j.Path())
	if err != nil {
		t.Fatal(err)
	}
	if len(es) != 51 {
		t.Fatalf("%d events, want 51", len(es))
	}
	if e := es[0]; !e.Time.Equal(at) || e.Source != "faults" || e.Kind != "cut" || e.Level != Warn || e.Subject != "link d1" {
		t.Errorf("first event %+v", e)
	}
	if e := es[1]; e.Time.IsZero() || e.Source != "faults" || e.Level != Info {
		t.Errorf("an event without time, source or level gets the journal's: %+v", e)
	}
}

func TestANilJournalRecordsNothing(t *testing.T) {
	var j *Journal
	j.Record(Event{Kind: "x"})
	if err := j.Close(); err != nil || j.Path() != "" {
		t.Error(err)
	}
}

func TestReadKeepsWhatParsesOfACutShortJournal(t *testing.T) {
	path := filepath.Join(t.TempDir(), "phases"+Suffix)
	body := `{"time":"2026-09-01T02:03:04Z","source":"phases","kind":"phase","text":"a"}` + "\n" + `{"time":"2026-09-01T02:0`
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	es, err := Read(path)
	if len(es) != 1 || es[0].Text != "a" {
		t.Errorf("%+v", es)
	}
	if err == nil || !strings.Contains(err.Error(), "1 of 2 lines") {
		t.Errorf("the torn line is not reported: %v", err)
	}
}
