package apps

import (
	"context"
	"log/slog"
	"strings"
	"sync"

	"github.com/wasmbed/wasmbed/sut/abi"
)

// Values of the "stream" attribute of an app's own output in the log.
const (
	streamLog    = "log"    // wasmbed.log
	streamStdout = "stdout" // WASI fd 1
	streamStderr = "stderr" // WASI fd 2
)

// guestLog logs a line the app produced, bounded and made valid UTF-8.
func (a *app) guestLog(level slog.Level, stream string, msg []byte) {
	text := msg
	truncated := len(text) > abi.MaxLogBytes
	if truncated {
		text = text[:abi.MaxLogBytes]
	}
	line := strings.ToValidUTF8(string(text), "\uFFFD")
	if truncated {
		line += "…"
	}
	a.log.Log(context.Background(), level, line, "stream", stream)
}

// lineWriter turns a WASI app's stdout or stderr into log lines. A
// partial line waits for its newline, up to a bound.
type lineWriter struct {
	app    *app
	stream string
	mu     sync.Mutex
	buf    []byte
}

func newLineWriter(a *app, stream string) *lineWriter { return &lineWriter{app: a, stream: stream} }

// Write implements io.Writer: each complete line becomes a log entry.
func (w *lineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	level := slog.LevelInfo
	if w.stream == streamStderr {
		level = slog.LevelWarn
	}
	for _, c := range p {
		if c == '\n' {
			w.app.guestLog(level, w.stream, w.buf)
			w.buf = w.buf[:0]
			continue
		}
		w.buf = append(w.buf, c)
		if len(w.buf) >= abi.MaxLogBytes {
			w.app.guestLog(level, w.stream, w.buf)
			w.buf = w.buf[:0]
		}
	}
	return len(p), nil
}

// flush logs a trailing partial line.
func (w *lineWriter) flush() {
	if w == nil {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.buf) > 0 {
		w.app.guestLog(slog.LevelInfo, w.stream, w.buf)
		w.buf = w.buf[:0]
	}
}
