package apps

import (
	"strings"
	"sync"
	"testing"
	"time"

	fixtures "github.com/wasmbed/wasmbed/fixtures/apps"
	"github.com/wasmbed/wasmbed/sut/abi"
)

// upstream records what apps publish.
type upstream struct {
	mu  sync.Mutex
	got []published
}

func (u *upstream) publish(app, topic string, data []byte) {
	u.mu.Lock()
	u.got = append(u.got, published{app, topic, string(data)})
	u.mu.Unlock()
}

func (u *upstream) messages() []published {
	u.mu.Lock()
	defer u.mu.Unlock()
	return append([]published(nil), u.got...)
}

func (u *upstream) wait(t *testing.T, n int) []published {
	t.Helper()
	waitFor(t, 5*time.Second, "published messages", func() bool { return len(u.messages()) >= n })
	return u.messages()
}

func TestDeliverToSubscribers(t *testing.T) {
	up := &upstream{}
	e := newEnv(t, Options{Publish: up.publish})
	e.mustInstall(specFor("echo", fixtures.Echo), fixtures.Echo)
	wild := specFor("echo-all", fixtures.Echo)
	wild.Capabilities.Subscribe = []string{"sensors/#"}
	e.mustInstall(wild, fixtures.Echo)
	e.mustInstall(specFor("hello", fixtures.Hello), fixtures.Hello)
	e.waitState("echo", StateRunning)
	e.waitState("echo-all", StateRunning)

	if n := e.m.Deliver("echo/in", []byte("ping")); n != 1 {
		t.Errorf("echo/in delivered to %d apps, want 1", n)
	}
	if got := up.wait(t, 1); got[0] != (published{"echo", "echo/out", "ping"}) {
		t.Errorf("published %+v", got)
	}
	for topic, want := range map[string]int{"sensors/a/b": 1, "sensors": 1, "sensorsX": 0, "other": 0} {
		if n := e.m.Deliver(topic, []byte(topic)); n != want {
			t.Errorf("%s delivered to %d apps, want %d", topic, n, want)
		}
	}
	got := up.wait(t, 3)
	if got[1].app != "echo-all" || got[2].app != "echo-all" {
		t.Errorf("published %+v", got)
	}
	if n := e.m.Deliver("bad#topic", nil); n != 0 {
		t.Errorf("a wildcard topic was delivered")
	}
	if n := e.m.Deliver("echo/in", make([]byte, abi.MaxMessageBytes+1)); n != 0 {
		t.Errorf("an oversized message was delivered")
	}
}

func TestPublishOnlyToGrantedTopics(t *testing.T) {
	up := &upstream{}
	e := newEnv(t, Options{Publish: up.publish})
	spec := specFor("echo", fixtures.Echo)
	spec.Capabilities.Publish = []string{"elsewhere"}
	e.mustInstall(spec, fixtures.Echo)
	e.waitState("echo", StateRunning)
	e.m.Deliver("echo/in", []byte("ping"))
	waitFor(t, 5*time.Second, "the refusal to be logged", func() bool {
		for _, r := range e.logs.runtimeLogs("echo") {
			if strings.HasPrefix(r.msg, "publish refused") {
				return true
			}
		}
		return false
	})
	if got := up.messages(); len(got) != 0 {
		t.Errorf("published %+v", got)
	}
	if st, _ := e.status("echo"); st.State != StateRunning {
		t.Errorf("a refused publish failed the app: %+v", st)
	}
}

func TestSensorAverage(t *testing.T) {
	up := &upstream{}
	e := newEnv(t, Options{Publish: up.publish})
	e.mustInstall(specFor("avg", fixtures.SensorAvg), fixtures.SensorAvg)
	e.waitState("avg", StateRunning)
	for _, s := range []string{"10", "20", "not a number", "30", "40", "50", "-70"} {
		if n := e.m.Deliver(fixtures.TopicSensorRaw, []byte(s)); n != 1 {
			t.Fatalf("sample %q delivered to %d apps", s, n)
		}
	}
	got := up.wait(t, 6)
	want := []string{"10", "15", "20", "25", "35", "12"} // (30+40+50-70)/4 = 12
	for i, w := range want {
		if got[i] != (published{"avg", fixtures.TopicSensorAvg, w}) {
			t.Errorf("average %d: %+v, want %s", i, got[i], w)
		}
	}
}

func TestNoDeliveryToFailedApp(t *testing.T) {
	e := newEnv(t, Options{})
	spec := specFor("echo", fixtures.Echo)
	spec.Capabilities.Publish = []string{"echo/out"}
	spec.Limits.MaxMemoryPages = 1 // echo declares 2 pages: refused
	if err := e.install(spec, fixtures.Echo); abi.ReasonOf(err) != abi.ReasonMemoryLimit {
		t.Fatalf("got %v", err)
	}
	if n := e.m.Deliver("echo/in", []byte("x")); n != 0 {
		t.Errorf("delivered to a refused app")
	}
}

func TestTopicPatternsValidated(t *testing.T) {
	for _, p := range []string{"a/#", "#", "*", "a/b/*", "plain"} {
		if err := validPattern(p); err != nil {
			t.Errorf("%s: %v", p, err)
		}
	}
	for _, p := range []string{"", "a/#/b", "a#", "#/a", "a/**"} {
		if err := validPattern(p); err == nil {
			t.Errorf("%q accepted", p)
		}
	}
}
