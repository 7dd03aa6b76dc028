package chaos

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/onsi/gomega"
	clocktesting "k8s.io/utils/clock/testing"

	"github.com/wasmbed/wasmbed/harness/chaos/invariant"
	"github.com/wasmbed/wasmbed/harness/chaos/plan"
)

// The engine's tests wait on observable state (the recorder's calls, the
// fake clock's waiters), never on the passing of real time: this
// generous timeout only bounds how long a broken engine makes them hang.
const patience = time.Minute

func newG(t *testing.T) *gomega.WithT {
	g := gomega.NewWithT(t)
	g.SetDefaultEventuallyTimeout(patience)
	g.SetDefaultEventuallyPollingInterval(time.Millisecond)
	return g
}

func testFleet() plan.Fleet {
	return plan.Fleet{
		SUT: plan.SUTContainers, Controllers: 2,
		Devices: []plan.FleetDevice{
			{Name: "d-0", Backend: plan.BackendProcess},
			{Name: "d-1", Backend: plan.BackendQEMU},
			{Name: "d-2", Backend: plan.BackendContainers},
		},
		Vehicles: []plan.FleetVehicle{{Name: "v-0"}},
	}
}

type outcome struct {
	res *Result
	err error
}

func start(ctx context.Context, p *plan.Plan, t Targets, o Options) <-chan outcome {
	out := make(chan outcome, 1)
	go func() {
		res, err := Run(ctx, p, t, o)
		out <- outcome{res, err}
	}()
	return out
}

func wait(t *testing.T, done <-chan outcome) outcome {
	t.Helper()
	select {
	case o := <-done:
		return o
	case <-time.After(patience):
		t.Fatal("Run did not return")
		return outcome{}
	}
}

// TestRunSchedulesOnTheClock steps a fake clock through a plan and checks
// every call the engine makes, at the exact instant it makes it.
func TestRunSchedulesOnTheClock(t *testing.T) {
	g := newG(t)
	fc := clocktesting.NewFakeClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	rec := newRecorder(fc)
	p := &plan.Plan{Settle: time.Second, Fleet: testFleet(), Faults: []plan.Fault{
		{At: time.Second, Kind: plan.LinkCut, Target: plan.Device("d-0"), Duration: 2 * time.Second},
		{At: time.Second, Kind: plan.Kill, Target: plan.LeaderController, Duration: time.Second, Restart: true},
		{At: 2 * time.Second, Kind: plan.EtcdStall, Target: plan.Etcd, Duration: 3 * time.Second},
		{At: 4 * time.Second, Kind: plan.PowerReset, Target: plan.Device("d-1")},
		{At: 0, Kind: plan.LinkLatency, Target: plan.Device("d-1"), Duration: time.Second, Latency: 100 * time.Millisecond},
	}}
	dir := t.TempDir()
	done := start(context.Background(), p, rec.targets(), Options{Dir: dir, Clock: fc})

	// Each step: the calls due by now are made, and every goroutine is
	// parked on its next timer before the clock moves again.
	steps := []struct {
		waiters int
		calls   []string
	}{
		{5, []string{"0s link.delay d-1 100ms"}},
		{4, []string{"1s link.clear d-1", "1s link.cut d-0", "1s process.kill controller:1"}},
		{3, []string{"2s etcd.stall", "2s process.start controller:1"}},
		{2, []string{"3s link.restore d-0"}},
		{1, []string{"4s power.reset d-1"}},
		{0, []string{"5s etcd.resume"}},
	}
	var want []string
	for i, s := range steps {
		if i > 0 {
			fc.Step(time.Second)
		}
		want = append(want, s.calls...)
		g.Eventually(rec.got).Should(gomega.Equal(want), "calls after %ds", i)
		if i < len(steps)-1 {
			g.Eventually(fc.Waiters).Should(gomega.Equal(s.waiters), "timers armed after %ds", i)
		}
	}
	o := wait(t, done)
	g.Expect(o.err).NotTo(gomega.HaveOccurred())
	g.Expect(o.res.Settled).To(gomega.BeTrue())
	g.Expect(o.res.Windows).To(gomega.HaveLen(5))

	// The journal has one inject and one heal per fault with a window,
	// with the fault's index, in time order, and names the replica the
	// kill of the leader hit.
	events, err := ReadJournal(dir)
	g.Expect(err).NotTo(gomega.HaveOccurred())
	var lines []string
	for _, e := range events {
		s := e.Offset + " " + e.Event
		if e.Fault != nil {
			s += fmt.Sprintf(" %d %s", *e.Fault, e.Target)
		}
		if e.Resolved != "" {
			s += " -> " + e.Resolved
		}
		lines = append(lines, s)
	}
	g.Expect(lines).To(gomega.HaveExactElements(
		"0s start", "0s inject 4 device:d-1",
		gomega.BeElementOf("1s heal 4 device:d-1", "1s inject 0 device:d-0", "1s inject 1 controller -> controller:1"),
		gomega.BeElementOf("1s heal 4 device:d-1", "1s inject 0 device:d-0", "1s inject 1 controller -> controller:1"),
		gomega.BeElementOf("1s heal 4 device:d-1", "1s inject 0 device:d-0", "1s inject 1 controller -> controller:1"),
		gomega.BeElementOf("2s heal 1 controller", "2s inject 2 etcd"),
		gomega.BeElementOf("2s heal 1 controller", "2s inject 2 etcd"),
		"3s heal 0 device:d-0", "4s inject 3 device:d-1", "5s heal 2 etcd", "5s settled", "5s end",
	))
	if b, err := p.Marshal(); err != nil || string(mustReadFile(t, dir, PlanFile)) != string(b) {
		t.Fatalf("the run's folder does not hold the plan as run (%v)", err)
	}
}

// TestRunFlapsOnTheClock: a flapping link goes down, up, down, up on its
// period and is restored when its window closes.
func TestRunFlapsOnTheClock(t *testing.T) {
	g := newG(t)
	fc := clocktesting.NewFakeClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	rec := newRecorder(fc)
	p := &plan.Plan{Settle: time.Second, Fleet: testFleet(), Faults: []plan.Fault{
		{Kind: plan.LinkFlap, Target: plan.Device("d-0"), Duration: time.Second, Period: 300 * time.Millisecond},
	}}
	done := start(context.Background(), p, rec.targets(), Options{Dir: t.TempDir(), Clock: fc})
	want := []string{"0s link.cut d-0"}
	for _, s := range []struct {
		step time.Duration
		call string
	}{
		{0, ""}, {300 * time.Millisecond, "300ms link.restore d-0"}, {300 * time.Millisecond, "600ms link.cut d-0"},
		{300 * time.Millisecond, "900ms link.restore d-0"}, {100 * time.Millisecond, "1s link.restore d-0"},
	} {
		fc.Step(s.step)
		if s.call != "" {
			want = append(want, s.call)
		}
		g.Eventually(rec.got).Should(gomega.Equal(want))
		if len(want) < 5 {
			// The flap's next toggle and the window's end.
			g.Eventually(fc.Waiters).Should(gomega.Equal(2))
		}
	}
	o := wait(t, done)
	g.Expect(o.err).NotTo(gomega.HaveOccurred())
}

// TestRunBootsLateDevices: a device with a start is powered on at it, and
// the settle bound counts from that boot when it is the plan's last
// change.
func TestRunBootsLateDevices(t *testing.T) {
	g := newG(t)
	fc := clocktesting.NewFakeClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	rec := newRecorder(fc)
	fl := testFleet()
	fl.Devices[0].Start = 3 * time.Second
	p := &plan.Plan{Settle: time.Second, Fleet: fl, Faults: []plan.Fault{
		{At: time.Second, Kind: plan.Kill, Target: plan.LeaderController, Duration: time.Second, Restart: true},
	}}
	var deadline time.Time
	seen := invariant.Invariant{Name: "connected-within-settle", Phase: invariant.Settled,
		Check: func(_ context.Context, f invariant.Facts) error { deadline = f.SettleDeadline(); return nil }}
	done := start(context.Background(), p, rec.targets(), Options{Dir: t.TempDir(), Clock: fc, Invariants: []invariant.Invariant{seen}})
	want := []string{}
	for _, s := range []struct {
		call    string
		waiters int // armed once the call is made: the next step may come
	}{{"", 2}, {"1s process.kill controller:1", 2}, {"2s process.start controller:1", 1}, {"3s power.on d-0", 0}} {
		if s.call != "" {
			fc.Step(time.Second)
			want = append(want, s.call)
		}
		g.Eventually(rec.got).Should(gomega.Equal(want))
		g.Eventually(fc.Waiters).Should(gomega.Equal(s.waiters))
	}
	o := wait(t, done)
	g.Expect(o.err).NotTo(gomega.HaveOccurred())
	g.Expect(deadline).To(gomega.Equal(rec.t0.Add(4*time.Second)), "the boot at 3s plus the 1s bound")
	g.Expect(o.res.Settled).To(gomega.BeTrue())
}

// TestRunSettles: after the last heal, the invariants are polled until
// they hold, and the result says how long that took.
func TestRunSettles(t *testing.T) {
	g := newG(t)
	fc := clocktesting.NewFakeClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	rec := newRecorder(fc)
	var checks atomic.Int32
	connected := invariant.Invariant{Name: "connected-within-settle", Phase: invariant.Settled,
		Check: func(_ context.Context, f invariant.Facts) error {
			if !f.Ended {
				return errors.New("checked before the plan ended")
			}
			if checks.Add(1) < 3 {
				return errors.New("device d-0 is Unreachable")
			}
			return nil
		}}
	p := &plan.Plan{Settle: 10 * time.Second, Fleet: testFleet(), Faults: []plan.Fault{
		{Kind: plan.LinkCut, Target: plan.Device("d-0"), Duration: time.Second},
	}}
	dir := t.TempDir()
	done := start(context.Background(), p, rec.targets(), Options{Dir: dir, Clock: fc, Interval: time.Second, Invariants: []invariant.Invariant{connected}})
	for want := range int32(3) {
		g.Eventually(fc.Waiters).Should(gomega.Equal(1))
		g.Eventually(checks.Load).Should(gomega.Equal(want))
		fc.Step(time.Second)
	}
	o := wait(t, done)
	g.Expect(o.err).NotTo(gomega.HaveOccurred())
	g.Expect(o.res.Failed()).To(gomega.BeFalse())
	g.Expect(o.res.Settled).To(gomega.BeTrue())
	g.Expect(o.res.SettledAfter).To(gomega.Equal(2 * time.Second))
	g.Expect(o.res.Summary()).To(gomega.HaveSuffix("settled 2s after the plan's last change"))
	events, err := ReadJournal(dir)
	g.Expect(err).NotTo(gomega.HaveOccurred())
	var unsettled int
	for _, e := range events {
		if e.Event == EventUnsettled {
			unsettled++
			g.Expect(e.Invariant).To(gomega.Equal("connected-within-settle"))
		}
	}
	g.Expect(unsettled).To(gomega.Equal(1), "an unchanged failure is journalled once")
}

// TestRunViolationAtTheSettleBound: an invariant that never holds is
// violated once the settle bound after the last heal has passed, and the
// violation names it.
func TestRunViolationAtTheSettleBound(t *testing.T) {
	g := newG(t)
	fc := clocktesting.NewFakeClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	rec := newRecorder(fc)
	gauge := invariant.Invariant{Name: "gauge-matches-sessions", Phase: invariant.Settled,
		Check: func(context.Context, invariant.Facts) error {
			return errors.New("gw-0 says 3 connected, holds 2 sessions")
		}}
	p := &plan.Plan{Settle: 3 * time.Second, Fleet: testFleet(), Faults: []plan.Fault{
		{Kind: plan.LinkCut, Target: plan.Device("d-0"), Duration: time.Second},
	}}
	done := start(context.Background(), p, rec.targets(), Options{Dir: t.TempDir(), Clock: fc, Interval: time.Second, Invariants: []invariant.Invariant{gauge}})
	for range 4 {
		g.Eventually(fc.Waiters).Should(gomega.Equal(1))
		fc.Step(time.Second)
	}
	o := wait(t, done)
	g.Expect(o.err).NotTo(gomega.HaveOccurred())
	g.Expect(o.res.Violations).To(gomega.HaveLen(1))
	v := o.res.Violations[0]
	g.Expect(v.Invariant).To(gomega.Equal("gauge-matches-sessions"))
	g.Expect(v.During).To(gomega.BeFalse())
	g.Expect(v.At).To(gomega.Equal(4*time.Second), "the heal at 1s plus the 3s bound")
	g.Expect(o.res.Err()).To(gomega.MatchError(gomega.ContainSubstring("invariant gauge-matches-sessions violated at the settle bound")))
}

// longPlan has faults of every undo-bearing family that would hold for an
// hour, and one that would go in after an hour.
func longPlan() *plan.Plan {
	return &plan.Plan{Settle: time.Second, Fleet: testFleet(), Faults: []plan.Fault{
		{Kind: plan.LinkCut, Target: plan.Device("d-0"), Duration: time.Hour},
		{Kind: plan.EtcdStall, Target: plan.Etcd, Duration: time.Hour},
		{Kind: plan.Kill, Target: plan.LeaderController, Duration: time.Hour, Restart: true},
		{Kind: plan.LinkFlap, Target: plan.Device("d-1"), Duration: time.Hour, Period: 5 * time.Millisecond},
		{Kind: plan.ContainerPause, Target: plan.Device("d-2"), Duration: time.Hour},
		{Kind: plan.CertLifetime, Target: plan.Gateway("gw-0"), Duration: time.Hour, Validity: 5 * time.Second},
		{At: time.Hour, Kind: plan.MAVLinkLoss, Target: plan.Vehicle("v-0"), Duration: time.Second},
	}}
}

// healed are the calls that undo longPlan's first six faults.
var healed = []string{"link.restore d-0", "etcd.resume", "process.start controller:1", "link.restore d-1",
	"container.unpause device:d-2", "cert.validity gw-0 720h"}

var injected = []string{"link.cut d-0", "etcd.stall", "process.kill controller:1", "link.cut d-1",
	"container.pause device:d-2", "cert.validity gw-0 5s"}

// TestRunHealsWhenCancelled is the always-undo guarantee: the caller's
// context ends mid-plan, and Run heals every fault that went in before it
// returns, and injects nothing more.
func TestRunHealsWhenCancelled(t *testing.T) {
	g := newG(t)
	rec := newRecorder(realClock())
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	dir := t.TempDir()
	done := start(ctx, longPlan(), rec.targets(), Options{Dir: dir})
	g.Eventually(rec.ops).Should(gomega.ContainElements(injected))
	g.Eventually(rec.ops).Should(gomega.ContainElement("link.restore d-1"), "the link flaps")
	cancel()
	o := wait(t, done)
	g.Expect(o.err).To(gomega.MatchError(context.Canceled))
	g.Expect(rec.ops()).To(gomega.ContainElements(healed))
	g.Expect(rec.ops()).NotTo(gomega.ContainElement("mavlink.cut v-0"))
	g.Expect(lastOp(rec.ops(), "d-1")).To(gomega.Equal("link.restore d-1"), "the flapping link ends up")
	g.Expect(o.res.Settled).To(gomega.BeFalse())
	events, err := ReadJournal(dir)
	g.Expect(err).NotTo(gomega.HaveOccurred())
	g.Expect(countEvents(events, EventHeal)).To(gomega.Equal(6))
	g.Expect(countEvents(events, EventSkip)).To(gomega.Equal(1))
	g.Expect(events[len(events)-1].Event).To(gomega.Equal(EventEnd))
	g.Expect(events[len(events)-1].Error).To(gomega.ContainSubstring("context canceled"))
}

// TestRunHealsWhenAnInvariantFails: an Always invariant failing mid-plan
// stops the plan; every fault that went in is healed, nothing more goes
// in, and the violation names the invariant.
func TestRunHealsWhenAnInvariantFails(t *testing.T) {
	g := newG(t)
	rec := newRecorder(realClock())
	refusal := invariant.Invariant{Name: "no-legit-refusal", Phase: invariant.Always,
		Check: func(_ context.Context, f invariant.Facts) error {
			if len(f.ActiveWindows()) == 6 {
				return errors.New("device d-0 refused: token_reused")
			}
			return nil
		}}
	done := start(context.Background(), longPlan(), rec.targets(), Options{Dir: t.TempDir(), Interval: time.Millisecond, Invariants: []invariant.Invariant{refusal}})
	o := wait(t, done)
	g.Expect(o.err).NotTo(gomega.HaveOccurred())
	g.Expect(o.res.Violations).To(gomega.HaveLen(1))
	g.Expect(o.res.Violations[0].Invariant).To(gomega.Equal("no-legit-refusal"))
	g.Expect(o.res.Violations[0].During).To(gomega.BeTrue())
	g.Expect(o.res.Err()).To(gomega.MatchError(gomega.ContainSubstring("invariant no-legit-refusal violated during the plan")))
	g.Expect(rec.ops()).To(gomega.ContainElements(healed))
	g.Expect(rec.ops()).NotTo(gomega.ContainElement("mavlink.cut v-0"))
}

// TestRunHealsWhenAFaultFailsToGoIn: a fault the harness cannot inject
// stops the plan as trouble (not a violation); the others are healed.
func TestRunHealsWhenAFaultFailsToGoIn(t *testing.T) {
	g := newG(t)
	rec := newRecorder(realClock())
	rec.fail["container.pause"] = errors.New("container wasmbed-d-2 is not running")
	done := start(context.Background(), longPlan(), rec.targets(), Options{Dir: t.TempDir()})
	o := wait(t, done)
	g.Expect(o.err).To(gomega.MatchError(gomega.ContainSubstring("faults[4] (container-pause on device:d-2) did not go in: container wasmbed-d-2 is not running")))
	g.Expect(o.res.Failed()).To(gomega.BeFalse())
	// Everything that went in came out, the failed pause included (it
	// may be half in).
	for i, in := range injected {
		if slices.Contains(rec.ops(), in) {
			g.Expect(rec.ops()).To(gomega.ContainElement(healed[i]))
		}
	}
	g.Expect(rec.ops()).NotTo(gomega.ContainElement("mavlink.cut v-0"))
}

// TestRunReportsAFailedHeal: a heal that fails is the run's error, naming
// the fault that may still be in.
func TestRunReportsAFailedHeal(t *testing.T) {
	g := newG(t)
	rec := newRecorder(realClock())
	rec.fail["etcd.resume"] = errors.New("no such process")
	p := &plan.Plan{Settle: time.Second, Fleet: testFleet(), Faults: []plan.Fault{
		{Kind: plan.EtcdStall, Target: plan.Etcd, Duration: time.Millisecond},
	}}
	res, err := Run(context.Background(), p, rec.targets(), Options{Dir: t.TempDir()})
	g.Expect(err).To(gomega.MatchError(gomega.ContainSubstring("faults[0] (etcd-stall on etcd) could not be healed; it may still be in: no such process")))
	g.Expect(res.Windows).To(gomega.HaveLen(1))
}

func TestRunPreparesInvariantsFirst(t *testing.T) {
	g := newG(t)
	rec := newRecorder(realClock())
	leak := invariant.Invariant{Name: "no-sut-leak", Phase: invariant.Settled,
		Prepare: func(context.Context) error { return rec.record("baseline") },
		Check:   func(context.Context, invariant.Facts) error { return nil }}
	p := &plan.Plan{Settle: time.Second, Fleet: testFleet(), Faults: []plan.Fault{
		{Kind: plan.EtcdStall, Target: plan.Etcd, Duration: time.Millisecond},
	}}
	_, err := Run(context.Background(), p, rec.targets(), Options{Dir: t.TempDir(), Invariants: []invariant.Invariant{leak}})
	g.Expect(err).NotTo(gomega.HaveOccurred())
	g.Expect(rec.ops()).To(gomega.Equal([]string{"baseline", "etcd.stall", "etcd.resume"}))
}

// TestRunRefuses: a plan the testbed cannot drive, or a folder that holds
// a run already, is refused before anything is injected.
func TestRunRefuses(t *testing.T) {
	g := newG(t)
	rec := newRecorder(realClock())
	p := longPlan()
	partial := Targets{Links: rec.targets().Links}
	_, err := Run(context.Background(), p, partial, Options{Dir: t.TempDir()})
	g.Expect(err).To(gomega.MatchError(gomega.ContainSubstring("faults[1] (etcd-stall on etcd) needs Targets.Etcd")))
	g.Expect(rec.ops()).To(gomega.BeEmpty())

	dir := t.TempDir()
	short := &plan.Plan{Settle: time.Second, Fleet: testFleet()}
	_, err = Run(context.Background(), short, rec.targets(), Options{Dir: dir})
	g.Expect(err).NotTo(gomega.HaveOccurred())
	_, err = Run(context.Background(), short, rec.targets(), Options{Dir: dir})
	g.Expect(err).To(gomega.MatchError(gomega.ContainSubstring("already holds a run's journal")))

	_, err = Run(context.Background(), short, rec.targets(), Options{})
	g.Expect(err).To(gomega.MatchError(gomega.ContainSubstring("Options.Dir is required")))

	bad := &plan.Plan{Fleet: testFleet()}
	_, err = Run(context.Background(), bad, rec.targets(), Options{Dir: t.TempDir()})
	g.Expect(err).To(gomega.MatchError(gomega.ContainSubstring("spec.settle")))
}

// TestEveryKindRuns runs the parser's reference plan, one fault of every
// kind, and checks each kind's inject and undo reach the right part of
// Targets with the right arguments.
func TestEveryKindRuns(t *testing.T) {
	g := newG(t)
	for _, k := range plan.Kinds() {
		if _, ok := actions[k.Kind]; !ok {
			t.Errorf("the engine has no action for %s", k.Kind)
		}
	}
	p, err := plan.ParseFile("plan/testdata/every-kind.yaml")
	g.Expect(err).NotTo(gomega.HaveOccurred())
	fc := clocktesting.NewFakeClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	rec := newRecorder(fc)
	done := start(context.Background(), p, rec.targets(), Options{Dir: t.TempDir(), Clock: fc})
	// Drive the fake clock a second at a time while the plan runs; the
	// calls are checked as a set, not their instants.
	var o outcome
	g.Eventually(func() bool {
		select {
		case o = <-done:
			return true
		default:
			if fc.HasWaiters() {
				fc.Step(time.Second)
			}
			return false
		}
	}).Should(gomega.BeTrue())
	g.Expect(o.err).NotTo(gomega.HaveOccurred())
	g.Expect(rec.ops()).To(gomega.ContainElements(
		"link.cut d-0", "link.restore d-0", "link.blackhole d-0", "link.delay d-0 250ms", "link.reset d-0", "link.clear d-0",
		"process.kill gateway:gw-0", "process.kill controller:1", "process.start controller:1", "process.stop controller:1",
		"etcd.stall", "etcd.resume", "power.cut d-1", "power.on d-1", "power.reset d-2",
		"mavlink.cut v-0", "mavlink.restore v-0", "container.pause device:d-3", "container.unpause device:d-3",
		"container.disconnect gateway:gw-1", "container.reconnect gateway:gw-1",
		"clock.skew d-2 +36h", "clock.skew d-2 1970", "clock.true d-2", "clock.skew d-1 -10m", "clock.true d-1",
		"cert.validity gw-0 5s", "cert.validity gw-0 720h", "power.on d-4",
	))
	g.Expect(rec.ops()).NotTo(gomega.ContainElement("process.start gateway:gw-0"), "a kill without restart is left to the SUT")
	g.Expect(o.res.Windows).To(gomega.HaveLen(len(p.Faults)))
	for _, w := range o.res.Windows {
		g.Expect(w.Active()).To(gomega.BeFalse(), "fault %d is still in", w.Fault)
	}
}

func countEvents(events []Event, kind string) int {
	n := 0
	for _, e := range events {
		if e.Event == kind {
			n++
		}
	}
	return n
}

func lastOp(ops []string, suffix string) string {
	for i := len(ops) - 1; i >= 0; i-- {
		if strings.HasSuffix(ops[i], suffix) {
			return ops[i]
		}
	}
	return ""
}
