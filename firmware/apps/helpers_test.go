package apps

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wasmbed/wasmbed/firmware/flash"
	fixtures "github.com/wasmbed/wasmbed/fixtures/apps"
	"github.com/wasmbed/wasmbed/sut/abi"
	"github.com/wasmbed/wasmbed/sut/protocol"
)

// logRecorder is a slog.Handler that keeps every record, so tests can wait
// for an app's output.
type logRecorder struct {
	mu      *sync.Mutex
	records *[]logRecord
	attrs   []slog.Attr
}

type logRecord struct {
	level         slog.Level
	msg           string
	app, stream   string
	reason, error string
}

func newLogRecorder() *logRecorder {
	return &logRecorder{mu: &sync.Mutex{}, records: &[]logRecord{}}
}

func (h *logRecorder) Enabled(context.Context, slog.Level) bool { return true }

func (h *logRecorder) Handle(_ context.Context, r slog.Record) error {
	rec := logRecord{level: r.Level, msg: r.Message}
	take := func(a slog.Attr) bool {
		switch a.Key {
		case "app":
			rec.app = a.Value.String()
		case "stream":
			rec.stream = a.Value.String()
		case "reason":
			rec.reason = a.Value.String()
		case "error":
			rec.error = a.Value.String()
		}
		return true
	}
	for _, a := range h.attrs {
		take(a)
	}
	r.Attrs(take)
	h.mu.Lock()
	*h.records = append(*h.records, rec)
	h.mu.Unlock()
	return nil
}

func (h *logRecorder) WithAttrs(as []slog.Attr) slog.Handler {
	return &logRecorder{mu: h.mu, records: h.records, attrs: append(append([]slog.Attr{}, h.attrs...), as...)}
}

func (h *logRecorder) WithGroup(string) slog.Handler { return h }

// output returns the lines an app wrote (log or WASI streams).
func (h *logRecorder) output(app string) []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []string
	for _, r := range *h.records {
		if r.app == app && r.stream != "" {
			out = append(out, r.msg)
		}
	}
	return out
}

// count returns how many of an app's output lines contain sub.
func (h *logRecorder) count(app, sub string) int {
	n := 0
	for _, l := range h.output(app) {
		if strings.Contains(l, sub) {
			n++
		}
	}
	return n
}

// runtimeLogs returns the runtime's own messages about an app.
func (h *logRecorder) runtimeLogs(app string) []logRecord {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []logRecord
	for _, r := range *h.records {
		if r.app == app && r.stream == "" {
			out = append(out, r)
		}
	}
	return out
}

// changes records OnChange calls.
type changes struct {
	mu  sync.Mutex
	all []AppStatus
	at  []time.Time
}

func (c *changes) record(s AppStatus) {
	c.mu.Lock()
	c.all = append(c.all, s)
	c.at = append(c.at, time.Now())
	c.mu.Unlock()
}

// of returns an app's changes and when they were reported.
func (c *changes) of(app string) ([]AppStatus, []time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var ss []AppStatus
	var ts []time.Time
	for i, s := range c.all {
		if s.Name == app {
			ss = append(ss, s)
			ts = append(ts, c.at[i])
		}
	}
	return ss, ts
}

func (c *changes) states(app string) []State {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []State
	for _, s := range c.all {
		if s.Name == app {
			out = append(out, s.State)
		}
	}
	return out
}

// env is a Manager under test with its recorders.
type env struct {
	t       testing.TB
	m       *Manager
	store   flash.Store
	logs    *logRecorder
	changes *changes
	opts    Options
}

// newEnv starts a Manager on a fresh flash directory (or opts.Store) with
// fast ticks and backoff; it is closed when the test ends.
func newEnv(t testing.TB, opts Options) *env {
	t.Helper()
	e := &env{t: t, logs: newLogRecorder(), changes: &changes{}}
	if opts.Store == nil {
		opts.Store = flash.Dir(t.TempDir())
	}
	if opts.TickInterval == 0 {
		opts.TickInterval = 10 * time.Millisecond
	}
	if opts.Backoff.Initial == 0 {
		opts.Backoff = Backoff{Initial: 20 * time.Millisecond, Max: 200 * time.Millisecond}
	}
	opts.Logger = slog.New(e.logs)
	opts.OnChange = e.changes.record
	e.opts = opts
	e.store = opts.Store
	e.start()
	return e
}

func (e *env) start() {
	e.t.Helper()
	m, err := New(context.Background(), e.opts)
	if err != nil {
		e.t.Fatal(err)
	}
	e.m = m
	e.t.Cleanup(func() { m.Close(context.Background()) })
}

// reboot closes the Manager and starts a new one on the same flash, as
// after a power cycle, then restores.
func (e *env) reboot() {
	e.t.Helper()
	if err := e.m.Close(context.Background()); err != nil {
		e.t.Fatal(err)
	}
	e.start()
	if err := e.m.Restore(context.Background()); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) install(spec Spec, fx fixtures.Name) error {
	return e.m.Install(context.Background(), spec, fx.Wasm())
}

func (e *env) mustInstall(spec Spec, fx fixtures.Name) {
	e.t.Helper()
	if err := e.install(spec, fx); err != nil {
		e.t.Fatalf("install %s: %v", spec.Name, err)
	}
}

func (e *env) status(name string) (AppStatus, bool) {
	for _, s := range e.m.Statuses() {
		if s.Name == name {
			return s, true
		}
	}
	return AppStatus{}, false
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// waitState waits until the app reports state and returns its status.
func (e *env) waitState(name string, state State) AppStatus {
	e.t.Helper()
	var last AppStatus
	waitFor(e.t, 10*time.Second, fmt.Sprintf("%s to be %s", name, state), func() bool {
		last, _ = e.status(name)
		return last.State == state
	})
	return last
}

// waitOutput waits until the app has written n lines containing sub.
func (e *env) waitOutput(name, sub string, n int) {
	e.t.Helper()
	waitFor(e.t, 10*time.Second, fmt.Sprintf("%d lines %q from %s (got %q)", n, sub, name, tail(e.logs.output(name))), func() bool {
		return e.logs.count(name, sub) >= n
	})
}

func tail(lines []string) []string {
	if len(lines) > 5 {
		return lines[len(lines)-5:]
	}
	return lines
}

// specFor returns a spec that deploys a fixture under name with the
// capabilities the fixture's catalogue entry suggests.
func specFor(name string, fx fixtures.Name) Spec {
	return Spec{
		Name:         name,
		Digest:       fx.Digest(),
		Capabilities: capsFrom(fixtures.Get(fx).Capabilities),
		Limits:       Limits{MaxRestarts: 5},
	}
}

func capsFrom(c protocol.AppCapabilities) Capabilities {
	return Capabilities{Log: c.Log, Clock: c.Clock, KV: c.KV, WASI: c.WASI, Publish: c.Publish, Subscribe: c.Subscribe, MAVLink: c.MAVLink}
}

func errorsAs(err error, target **abi.Error) bool { return errors.As(err, target) }

func digestOf(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// memStore is a flash.Store in memory, for tests about CPU isolation
// rather than storage: it takes disk latency out of the timing.
type memStore struct {
	mu    sync.Mutex
	files map[string][]byte
}

func newMemStore() *memStore { return &memStore{files: map[string][]byte{}} }

func (s *memStore) Read(name string) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.files[name]
	if !ok {
		return nil, flash.ErrNotExist
	}
	return append([]byte(nil), b...), nil
}

func (s *memStore) Write(name string, data []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.files[name] = append([]byte(nil), data...)
	return nil
}

func (s *memStore) Remove(name string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.files, name)
	return nil
}

func (s *memStore) List(dir string) ([]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for n := range s.files {
		if rest, ok := strings.CutPrefix(n, dir+"/"); ok && !strings.Contains(rest, "/") {
			out = append(out, rest)
		}
	}
	sort.Strings(out)
	return out, nil
}
