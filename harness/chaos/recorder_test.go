package chaos

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"k8s.io/utils/clock"

	"github.com/wasmbed/wasmbed/harness/chaos/plan"
)

// recorder is the engine's test double of the live system: it records
// every call the engine makes, with the engine's clock's time, and fails
// the calls a test tells it to. It stands in for the testbed only in this
// package's own tests of the engine.
type recorder struct {
	clock clock.PassiveClock
	t0    time.Time

	mu    sync.Mutex
	calls []call
	fail  map[string]error // "etcd.stall" -> its error
}

// call is one recorded call: when (from t0) and what ("link.cut d-0").
type call struct {
	at   time.Duration
	what string
}

func (c call) String() string { return fmt.Sprintf("%s %s", plan.FormatDuration(c.at), c.what) }

func newRecorder(c clock.PassiveClock) *recorder {
	return &recorder{clock: c, t0: c.Now(), fail: map[string]error{}}
}

func (r *recorder) record(op string, args ...any) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	what := op
	for _, a := range args {
		what += " " + fmt.Sprint(a)
	}
	r.calls = append(r.calls, call{at: r.clock.Now().Sub(r.t0), what: what})
	return r.fail[op]
}

// got returns the calls made so far, sorted by time then by text: calls
// at one instant come from different goroutines in any order.
func (r *recorder) got() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	cs := slices.Clone(r.calls)
	slices.SortStableFunc(cs, func(a, b call) int {
		if a.at != b.at {
			return int(a.at - b.at)
		}
		return strings.Compare(a.what, b.what)
	})
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.String()
	}
	return out
}

// ops returns what was called, without times, in call order.
func (r *recorder) ops() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]string, len(r.calls))
	for i, c := range r.calls {
		out[i] = c.what
	}
	return out
}

func (r *recorder) targets() Targets {
	return Targets{Links: recLinks{r}, Processes: recProcesses{r}, Etcd: recEtcd{r}, Power: recPower{r},
		MAVLink: recMAVLink{r}, Containers: recContainers{r}, Clocks: recClocks{r}, Certificates: recCertificates{r}}
}

type recLinks struct{ r *recorder }

func (l recLinks) Cut(_ context.Context, d string) error     { return l.r.record("link.cut", d) }
func (l recLinks) Restore(_ context.Context, d string) error { return l.r.record("link.restore", d) }
func (l recLinks) Blackhole(_ context.Context, d string) error {
	return l.r.record("link.blackhole", d)
}
func (l recLinks) Delay(_ context.Context, d string, lat time.Duration) error {
	return l.r.record("link.delay", d, plan.FormatDuration(lat))
}
func (l recLinks) Reset(_ context.Context, d string) error { return l.r.record("link.reset", d) }
func (l recLinks) Clear(_ context.Context, d string) error { return l.r.record("link.clear", d) }

// recProcesses resolves the leading controller to replica 1.
type recProcesses struct{ r *recorder }

func resolve(t plan.Target) plan.Target {
	if t == plan.LeaderController {
		return plan.Controller(1)
	}
	return t
}

func (p recProcesses) Kill(_ context.Context, t plan.Target) (plan.Target, error) {
	return resolve(t), p.r.record("process.kill", resolve(t))
}
func (p recProcesses) Stop(_ context.Context, t plan.Target) (plan.Target, error) {
	return resolve(t), p.r.record("process.stop", resolve(t))
}
func (p recProcesses) Start(_ context.Context, t plan.Target) error {
	return p.r.record("process.start", t)
}

type recEtcd struct{ r *recorder }

func (e recEtcd) Stall(context.Context) error  { return e.r.record("etcd.stall") }
func (e recEtcd) Resume(context.Context) error { return e.r.record("etcd.resume") }

type recPower struct{ r *recorder }

func (p recPower) Cut(_ context.Context, d string) error   { return p.r.record("power.cut", d) }
func (p recPower) On(_ context.Context, d string) error    { return p.r.record("power.on", d) }
func (p recPower) Reset(_ context.Context, d string) error { return p.r.record("power.reset", d) }

type recMAVLink struct{ r *recorder }

func (m recMAVLink) Cut(_ context.Context, v string) error { return m.r.record("mavlink.cut", v) }
func (m recMAVLink) Restore(_ context.Context, v string) error {
	return m.r.record("mavlink.restore", v)
}

type recContainers struct{ r *recorder }

func (c recContainers) Pause(_ context.Context, t plan.Target) error {
	return c.r.record("container.pause", t)
}
func (c recContainers) Unpause(_ context.Context, t plan.Target) error {
	return c.r.record("container.unpause", t)
}
func (c recContainers) Disconnect(_ context.Context, t plan.Target) error {
	return c.r.record("container.disconnect", t)
}
func (c recContainers) Reconnect(_ context.Context, t plan.Target) error {
	return c.r.record("container.reconnect", t)
}

type recClocks struct{ r *recorder }

func (c recClocks) Skew(_ context.Context, d string, s plan.Skew) error {
	if s.IsZero() {
		return c.r.record("clock.true", d)
	}
	return c.r.record("clock.skew", d, s)
}

// recCertificates says the validity it replaces was 720h.
type recCertificates struct{ r *recorder }

func (c recCertificates) SetValidity(_ context.Context, gw string, v time.Duration) (time.Duration, error) {
	return 720 * time.Hour, c.r.record("cert.validity", gw, plan.FormatDuration(v))
}
