package timeline

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// Journal appends Events to a file, one JSON object a line, each written
// as it is recorded. It is safe for concurrent use. A nil *Journal
// records nothing, so a recorder can be wired in unconditionally.
type Journal struct {
	mu   sync.Mutex
	f    *os.File
	now  func() time.Time
	err  error
	path string
}

// Create opens dir/<source>.timeline.jsonl for appending, creating dir if
// needed. Events recorded with an empty Source get source.
func Create(dir, source string) (*Journal, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	path := filepath.Join(dir, source+Suffix)
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("timeline: %w", err)
	}
	return &Journal{f: f, now: time.Now, path: path}, nil
}

// Path is the journal's file.
func (j *Journal) Path() string {
	if j == nil {
		return ""
	}
	return j.path
}

// Record writes e, stamped now if its Time is zero, with the journal's
// source if its Source is empty. A write error is kept for Close: a
// failing journal must not fail the spec it watches.
func (j *Journal) Record(e Event) {
	if j == nil {
		return
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.f == nil {
		return
	}
	if e.Time.IsZero() {
		e.Time = j.now()
	}
	if e.Source == "" {
		e.Source = sourceOf(j.path)
	}
	if e.Level == "" {
		e.Level = Info
	}
	b, err := json.Marshal(e)
	if err == nil {
		_, err = j.f.Write(append(b, '\n'))
	}
	if err != nil && j.err == nil {
		j.err = fmt.Errorf("timeline: %s: %w", j.path, err)
	}
}

// Close closes the file and returns the first write error, if any.
func (j *Journal) Close() error {
	if j == nil {
		return nil
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.f == nil {
		return j.err
	}
	err := errors.Join(j.err, j.f.Close())
	j.f = nil
	return err
}

func sourceOf(path string) string {
	base := filepath.Base(path)
	return base[:len(base)-len(Suffix)]
}
