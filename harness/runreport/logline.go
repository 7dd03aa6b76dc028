package runreport

import (
	"strconv"
	"strings"
	"time"

	"github.com/wasmbed/wasmbed/harness/timeline"
)

// slogLine parses a line written by log/slog's TextHandler (the SUT's, the
// firmware's and the guest's): time=… level=… msg=… key=value…. ok is
// false for any other line (a kernel message on a console, a panic's
// stack).
func slogLine(line string) (t time.Time, level, text string, ok bool) {
	i := strings.Index(line, "time=")
	if i < 0 {
		return time.Time{}, "", "", false
	}
	rest := line[i:]
	var parts []string
	for rest != "" {
		var key, val, raw string
		key, val, raw, rest = nextPair(rest)
		switch key {
		case "time":
			tt, err := time.Parse(time.RFC3339Nano, val)
			if err != nil {
				return time.Time{}, "", "", false
			}
			t = tt
		case "level":
			level = val
		case "msg":
			parts = append([]string{val}, parts...)
		case "":
			if raw != "" {
				parts = append(parts, raw)
			}
		default:
			parts = append(parts, raw)
		}
	}
	if t.IsZero() || level == "" {
		return time.Time{}, "", "", false
	}
	return t, level, strings.Join(parts, " "), true
}

// nextPair reads one key=value (the value maybe quoted, as slog quotes
// it) off s, returning the raw text of the pair and what follows.
func nextPair(s string) (key, val, raw, rest string) {
	s = strings.TrimLeft(s, " ")
	eq := strings.IndexByte(s, '=')
	sp := strings.IndexByte(s, ' ')
	if eq < 0 || (sp >= 0 && sp < eq) {
		if sp < 0 {
			return "", "", s, ""
		}
		return "", "", s[:sp], s[sp:]
	}
	key, after := s[:eq], s[eq+1:]
	if strings.HasPrefix(after, `"`) {
		if q, err := strconv.QuotedPrefix(after); err == nil {
			val, _ = strconv.Unquote(q)
			return key, val, s[:eq+1+len(q)], after[len(q):]
		}
	}
	end := strings.IndexByte(after, ' ')
	if end < 0 {
		end = len(after)
	}
	return key, after[:end], s[:eq+1+end], after[end:]
}

// slogLevel maps slog's level names (DEBUG, INFO, WARN, ERROR, and
// offsets like WARN+2) to the timeline's, and says whether the line is
// worth a place on the timeline: warnings and above.
func slogLevel(l string) (string, bool) {
	switch {
	case strings.HasPrefix(l, "ERROR"):
		return timeline.Error, true
	case strings.HasPrefix(l, "WARN"):
		return timeline.Warn, true
	}
	return timeline.Info, false
}

// procMarker parses the lines harness/proc writes around a process's
// output: "=== <RFC3339Nano> start <path> [args]" and "=== <time> exit:
// <state>".
func procMarker(line string) (t time.Time, kind, level, text string, ok bool) {
	rest, found := strings.CutPrefix(line, "=== ")
	if !found {
		return time.Time{}, "", "", "", false
	}
	ts, rest, _ := strings.Cut(rest, " ")
	t, err := time.Parse(time.RFC3339Nano, ts)
	if err != nil {
		return time.Time{}, "", "", "", false
	}
	switch {
	case strings.HasPrefix(rest, "start "):
		cmd := strings.TrimPrefix(rest, "start ")
		if strings.TrimSpace(cmd) == "" {
			return time.Time{}, "", "", "", false
		}
		return t, "start", timeline.Info, "started: " + cmd, true
	case strings.HasPrefix(rest, "exit: "):
		state := strings.TrimPrefix(rest, "exit: ")
		level := timeline.Warn
		if state == "exit status 0" {
			level = timeline.Info
		}
		return t, "exit", level, "exited: " + state, true
	}
	return time.Time{}, "", "", "", false
}

// datalineEvent parses a line of a QEMU device's data-line log
// (harness/serialbridge): "15:04:05.000000 <what>". Only the bridge's own
// events (lines starting "---") and corrupted frames count; the frames
// themselves are too many to show. The log holds the time of day only:
// day gives the date (the spec's start), and a time more than twelve
// hours before it is taken to be after midnight.
func datalineEvent(line string, day time.Time) (t time.Time, level, text string, ok bool) {
	ts, what, found := strings.Cut(line, " ")
	if !found {
		return time.Time{}, "", "", false
	}
	tod, err := time.ParseInLocation("15:04:05.000000", ts, day.Location())
	if err != nil {
		return time.Time{}, "", "", false
	}
	t = time.Date(day.Year(), day.Month(), day.Day(), tod.Hour(), tod.Minute(), tod.Second(), tod.Nanosecond(), day.Location())
	if t.Before(day.Add(-12 * time.Hour)) {
		t = t.Add(24 * time.Hour)
	}
	switch {
	case strings.Contains(what, "corrupted"):
		return t, timeline.Warn, what, true
	case strings.HasPrefix(what, "--- "):
		text = strings.TrimPrefix(what, "--- ")
		level = timeline.Info
		if strings.Contains(text, "cut") || strings.Contains(text, "lost") || strings.Contains(text, "panicked") {
			level = timeline.Warn
		}
		return t, level, text, true
	}
	return time.Time{}, "", "", false
}
