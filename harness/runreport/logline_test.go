package runreport

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"
)

func TestSlogLinesAsTheSUTWritesThem(t *testing.T) {
	var buf bytes.Buffer
	l := slog.New(slog.NewTextHandler(&buf, nil))
	l.Warn("heartbeat timeout", "device", "d1", "after", 2*time.Second, "why", "no \"ack\" seen")
	l.Info("routine")
	l.Log(context.Background(), slog.LevelError+2, "worse")
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")

	at, level, text, ok := slogLine(lines[0])
	if !ok || at.IsZero() || level != "WARN" || text != `heartbeat timeout device=d1 after=2s why="no \"ack\" seen"` {
		t.Errorf("%v %q %q %v", at, level, text, ok)
	}
	if lv, keep := slogLevel(level); lv != "warn" || !keep {
		t.Errorf("WARN: %s %v", lv, keep)
	}
	_, level, _, _ = slogLine(lines[1])
	if _, keep := slogLevel(level); keep {
		t.Error("an INFO line is kept")
	}
	_, level, text, _ = slogLine(lines[2])
	if lv, keep := slogLevel(level); lv != "error" || !keep || text != "worse" {
		t.Errorf("ERROR+2: %s %v %q", lv, keep, text)
	}
	for _, bad := range []string{"[    0.000000] Linux version 6.1", "time=yesterday level=WARN msg=x", "plain words"} {
		if _, _, _, ok := slogLine(bad); ok {
			t.Errorf("%q parsed as a slog line", bad)
		}
	}
}

func TestProcMarkers(t *testing.T) {
	at, kind, level, text, ok := procMarker("=== 2026-09-01T02:03:04.5Z exit: signal: killed")
	if !ok || kind != "exit" || level != "warn" || text != "exited: signal: killed" || at.Second() != 4 {
		t.Errorf("%v %s %s %q %v", at, kind, level, text, ok)
	}
	if _, _, level, _, _ := procMarker("=== 2026-09-01T02:03:04.5Z exit: exit status 0"); level != "info" {
		t.Errorf("a clean exit is %s", level)
	}
	if _, kind, _, text, ok := procMarker("=== 2026-09-01T02:03:04.5Z start /bin/gateway [-x]"); !ok || kind != "start" || text != "started: /bin/gateway [-x]" {
		t.Errorf("%s %q", kind, text)
	}
}

func TestDatalineEvents(t *testing.T) {
	day := time.Date(2026, 9, 1, 23, 59, 0, 0, time.UTC)
	at, level, text, ok := datalineEvent("00:00:01.250000 --- link cut", day)
	if !ok || level != "warn" || text != "link cut" || !at.Equal(time.Date(2026, 9, 2, 0, 0, 1, 250e6, time.UTC)) {
		t.Errorf("after midnight: %v %s %q %v", at, level, text, ok)
	}
	if _, _, _, ok := datalineEvent("23:59:02.000000 H→D DATA s=1 n=20", day); ok {
		t.Error("a frame is an event")
	}
}
