package timeline

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
)

// Read reads a journal back. A line that does not parse is skipped and
// counted in the error, which comes with every line that did parse: a
// journal cut short by a killed run is still worth reading.
func Read(path string) ([]Event, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []Event
	bad, line := 0, 0
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 4*1024*1024)
	for sc.Scan() {
		line++
		if len(sc.Bytes()) == 0 {
			continue
		}
		var e Event
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil || e.Time.IsZero() {
			bad++
			continue
		}
		out = append(out, e)
	}
	if err := sc.Err(); err != nil {
		return out, fmt.Errorf("timeline: %s: %w", path, err)
	}
	if bad > 0 {
		return out, fmt.Errorf("timeline: %s: %d of %d lines are not events", path, bad, line)
	}
	return out, nil
}
