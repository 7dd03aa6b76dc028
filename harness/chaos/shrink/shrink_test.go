package shrink

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	clocktesting "k8s.io/utils/clock/testing"

	"github.com/wasmbed/wasmbed/harness/chaos/plan"
)

// cuts is a plan of n devices, d-0 to d-(n-1), each with one 8 s link cut
// aimed at it: fault i is the cut of d-i, so a predicate can name faults
// by the device they are aimed at, whatever their index after shrinking.
func cuts(n int) *plan.Plan {
	seed := uint64(99)
	p := &plan.Plan{Name: "cuts", Seed: &seed, Settle: 30 * time.Second}
	for i := range n {
		d := fmt.Sprintf("d-%d", i)
		p.Fleet.Devices = append(p.Fleet.Devices, plan.FleetDevice{Name: d, Backend: plan.BackendProcess})
		p.Faults = append(p.Faults, plan.Fault{At: time.Duration(i) * time.Second, Kind: plan.LinkCut, Target: plan.Device(d), Duration: 8 * time.Second})
	}
	return p
}

// has reports whether a fault of p is aimed at each named device.
func has(p *plan.Plan, devices ...string) bool {
	for _, d := range devices {
		if !slices.ContainsFunc(p.Faults, func(f plan.Fault) bool { return f.Target == plan.Device(d) }) {
			return false
		}
	}
	return true
}

func aimedAt(p *plan.Plan) []string {
	var out []string
	for _, f := range p.Faults {
		out = append(out, f.Target.Name)
	}
	return out
}

func deviceNames(p *plan.Plan) []string {
	var out []string
	for _, d := range p.Fleet.Devices {
		out = append(out, d.Name)
	}
	return out
}

// predicate turns a synthetic failure condition into a Run, checking that
// every candidate is a valid plan with the original's seed.
func predicate(t *testing.T, fails func(*plan.Plan) bool) Run {
	return func(_ context.Context, p *plan.Plan) (bool, error) {
		if err := p.Validate(); err != nil {
			t.Errorf("ran an invalid candidate: %v", err)
		}
		if p.Seed == nil || *p.Seed != 99 {
			t.Errorf("ran a candidate with seed %v, not the plan's 99", p.Seed)
		}
		return fails(p), nil
	}
}

func TestShrinkToTwoFaults(t *testing.T) {
	fails := func(p *plan.Plan) bool { return has(p, "d-3", "d-7") }
	r, err := Shrink(context.Background(), cuts(10), Options{Run: predicate(t, fails), MaxRuns: 500})
	if err != nil {
		t.Fatal(err)
	}
	if got := aimedAt(r.Plan); !slices.Equal(got, []string{"d-3", "d-7"}) {
		t.Fatalf("shrunk to faults on %v, want d-3 and d-7", got)
	}
	if got := deviceNames(r.Plan); !slices.Equal(got, []string{"d-3", "d-7"}) {
		t.Errorf("kept devices %v, want only the two the faults need", got)
	}
	for _, f := range r.Plan.Faults {
		if f.Duration != 125*time.Millisecond {
			t.Errorf("%s's window is %s, want it halved from 8s down to 125ms, the last halving above 100ms", f.Target, f.Duration)
		}
	}
	if !r.OneMinimal || r.Stopped != "" {
		t.Errorf("OneMinimal = %v, Stopped = %q; want a finished, 1-minimal shrink", r.OneMinimal, r.Stopped)
	}
	if r.Size != (Size{Faults: 2, Devices: 2, Window: 250 * time.Millisecond}) || r.Original.Faults != 10 {
		t.Errorf("sizes %v -> %v", r.Original, r.Size)
	}
	t.Log(r.Summary())
}

func TestShrinkWindows(t *testing.T) {
	fails := func(p *plan.Plan) bool {
		return slices.ContainsFunc(p.Faults, func(f plan.Fault) bool { return f.Duration >= 2*time.Second })
	}
	r, err := Shrink(context.Background(), cuts(6), Options{Run: predicate(t, fails), MaxRuns: 500})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Plan.Faults) != 1 || r.Plan.Faults[0].Duration != 2*time.Second {
		t.Fatalf("shrunk to %+v, want one fault with a 2s window (8s halved twice)", r.Plan.Faults)
	}
	if len(r.Plan.Fleet.Devices) != 1 {
		t.Errorf("kept devices %v, want the one device of the remaining fault", deviceNames(r.Plan))
	}
}

func TestShrinkLatency(t *testing.T) {
	p := cuts(2)
	p.Faults[1] = plan.Fault{At: time.Second, Kind: plan.LinkLatency, Target: plan.Device("d-1"), Duration: 4 * time.Second, Latency: 800 * time.Millisecond}
	fails := func(p *plan.Plan) bool {
		return slices.ContainsFunc(p.Faults, func(f plan.Fault) bool { return f.Latency >= 150*time.Millisecond })
	}
	r, err := Shrink(context.Background(), p, Options{Run: predicate(t, fails)})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Plan.Faults) != 1 || r.Plan.Faults[0].Latency != 200*time.Millisecond {
		t.Fatalf("shrunk to %+v, want one latency fault of 200ms (800ms halved twice)", r.Plan.Faults)
	}
}

// TestShrinkIsOneMinimal checks the ddmin guarantee on random failure
// conditions: the plan fails iff every fault of some clause is in it. The
// result must fail, and removing any one of its faults must not.
func TestShrinkIsOneMinimal(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for c := range 150 {
		n := 2 + r.IntN(14)
		var clauses [][]string
		for range 1 + r.IntN(3) {
			var clause []string
			for range 1 + r.IntN(4) {
				clause = append(clause, fmt.Sprintf("d-%d", r.IntN(n)))
			}
			clauses = append(clauses, clause)
		}
		fails := func(p *plan.Plan) bool {
			return slices.ContainsFunc(clauses, func(cl []string) bool { return has(p, cl...) })
		}
		rep, err := Shrink(context.Background(), cuts(n), Options{Run: predicate(t, fails), MaxRuns: 10000})
		if err != nil {
			t.Fatal(err)
		}
		if !fails(rep.Plan) || !rep.OneMinimal {
			t.Fatalf("case %d (%v): result %v fails: %v, 1-minimal: %v", c, clauses, aimedAt(rep.Plan), fails(rep.Plan), rep.OneMinimal)
		}
		for i := range rep.Plan.Faults {
			fewer := rep.Plan.Clone()
			fewer.Faults = slices.Delete(fewer.Faults, i, i+1)
			if fails(fewer) {
				t.Fatalf("case %d (%v): result %v is not 1-minimal: it fails without %s", c, clauses, aimedAt(rep.Plan), rep.Plan.Faults[i].Target)
			}
		}
	}
}

func TestShrinkRespectsTheRunBudget(t *testing.T) {
	fails := func(p *plan.Plan) bool { return has(p, "d-3", "d-7") }
	var runs int
	run := predicate(t, fails)
	r, err := Shrink(context.Background(), cuts(10), Options{MaxRuns: 5, Run: func(ctx context.Context, p *plan.Plan) (bool, error) {
		runs++
		return run(ctx, p)
	}})
	if err != nil {
		t.Fatal(err)
	}
	if runs != 5 || r.Runs != 5 {
		t.Fatalf("%d runs made, %d reported; want the budget's 5", runs, r.Runs)
	}
	if !strings.Contains(r.Stopped, "run budget (5 runs) spent") || r.OneMinimal {
		t.Errorf("Stopped = %q, OneMinimal = %v", r.Stopped, r.OneMinimal)
	}
	if !fails(r.Plan) {
		t.Errorf("the result %v does not fail", aimedAt(r.Plan))
	}
	if !strings.Contains(r.Summary(), "stopped early: run budget") {
		t.Errorf("the summary does not say it stopped early: %s", r.Summary())
	}
}

func TestShrinkRespectsTheTimeBudget(t *testing.T) {
	fc := clocktesting.NewFakeClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	fails := func(p *plan.Plan) bool { return has(p, "d-3", "d-7") }
	run := predicate(t, fails)
	r, err := Shrink(context.Background(), cuts(10), Options{Clock: fc, Budget: 5 * time.Minute, MaxRuns: 1000,
		Run: func(ctx context.Context, p *plan.Plan) (bool, error) {
			fc.Step(time.Minute) // each run takes a minute
			return run(ctx, p)
		}})
	if err != nil {
		t.Fatal(err)
	}
	if r.Runs != 5 || !strings.Contains(r.Stopped, "time budget (5m) spent") {
		t.Fatalf("runs %d, stopped %q; want 5 runs of a minute, then the 5m budget spent", r.Runs, r.Stopped)
	}
	if r.Elapsed != 5*time.Minute {
		t.Errorf("Elapsed = %s", r.Elapsed)
	}
}

func TestShrinkStopsWhenCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	r, err := Shrink(ctx, cuts(10), Options{Run: func(ctx context.Context, p *plan.Plan) (bool, error) {
		cancel()
		return false, ctx.Err()
	}, MaxRuns: 100})
	if err != nil {
		t.Fatal(err)
	}
	if r.Runs != 1 || !strings.Contains(r.Stopped, "cancelled") {
		t.Fatalf("runs %d, stopped %q", r.Runs, r.Stopped)
	}
	if len(r.Plan.Faults) != 10 {
		t.Errorf("a cancelled shrink returned %v, not the failing input", aimedAt(r.Plan))
	}
}

// TestShrinkCountsErredRunsAsPassing: a candidate whose run erred was not
// seen to fail, so it is never the result.
func TestShrinkCountsErredRunsAsPassing(t *testing.T) {
	fails := func(p *plan.Plan) bool { return has(p, "d-3") }
	run := predicate(t, fails)
	r, err := Shrink(context.Background(), cuts(6), Options{Run: func(ctx context.Context, p *plan.Plan) (bool, error) {
		if len(p.Faults) == 1 {
			return true, errors.New("the testbed did not come up")
		}
		return run(ctx, p)
	}})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Plan.Faults) < 2 || !has(r.Plan, "d-3") {
		t.Fatalf("shrunk to %v: a one-fault plan was taken although its run erred", aimedAt(r.Plan))
	}
	if r.Errors == 0 || r.LastErr == nil || !strings.Contains(r.Summary(), "the testbed did not come up") {
		t.Errorf("errors %d, last %v, summary %s", r.Errors, r.LastErr, r.Summary())
	}
}

// TestShrinkAFaultlessBug: a failure that needs no fault, only one device,
// shrinks to no faults and that device.
func TestShrinkAFaultlessBug(t *testing.T) {
	fails := func(p *plan.Plan) bool { _, ok := p.Fleet.Device("d-4"); return ok }
	r, err := Shrink(context.Background(), cuts(8), Options{Run: predicate(t, fails)})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Plan.Faults) != 0 || !slices.Equal(deviceNames(r.Plan), []string{"d-4"}) {
		t.Fatalf("shrunk to faults %v on devices %v, want no fault and d-4", aimedAt(r.Plan), deviceNames(r.Plan))
	}
}

// TestShrinkDropsATargetedDevice: a device faults are aimed at is tried
// without, with its faults, once its untargeted neighbours are gone.
func TestShrinkDropsATargetedDevice(t *testing.T) {
	fails := func(p *plan.Plan) bool {
		_, present := p.Fleet.Device("d-1")
		return has(p, "d-1") || !present
	}
	r, err := Shrink(context.Background(), cuts(4), Options{Run: predicate(t, fails)})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Plan.Faults) != 0 || len(r.Plan.Fleet.Devices) != 0 {
		t.Fatalf("shrunk to faults %v on devices %v, want nothing", aimedAt(r.Plan), deviceNames(r.Plan))
	}
}

func TestShrinkKeepsAPilot(t *testing.T) {
	p := cuts(3)
	p.Fleet.Vehicles = []plan.FleetVehicle{{Name: "v-0", Pilot: "d-2"}, {Name: "v-1"}}
	p.Faults = append(p.Faults, plan.Fault{At: time.Second, Kind: plan.MAVLinkLoss, Target: plan.Vehicle("v-0"), Duration: time.Second})
	fails := func(p *plan.Plan) bool {
		return slices.ContainsFunc(p.Faults, func(f plan.Fault) bool { return f.Kind == plan.MAVLinkLoss })
	}
	r, err := Shrink(context.Background(), p, Options{Run: predicate(t, fails)})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Plan.Faults) != 1 || len(r.Plan.Fleet.Vehicles) != 1 || !slices.Equal(deviceNames(r.Plan), []string{"d-2"}) {
		t.Fatalf("shrunk to faults %v, vehicles %v, devices %v; want the MAVLink loss, v-0 and its pilot d-2",
			aimedAt(r.Plan), r.Plan.Fleet.Vehicles, deviceNames(r.Plan))
	}
}

func TestDdmin(t *testing.T) {
	for _, c := range []struct {
		name   string
		n      int
		fails  func([]int) bool
		want   []int
		maxRun int
	}{
		{"a pair", 10, func(s []int) bool { return slices.Contains(s, 3) && slices.Contains(s, 7) }, []int{3, 7}, 40},
		{"one", 16, func(s []int) bool { return slices.Contains(s, 11) }, []int{11}, 20},
		{"all", 4, func(s []int) bool { return len(s) == 4 }, []int{0, 1, 2, 3}, 20},
		{"none", 5, func([]int) bool { return true }, nil, 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			runs := 0
			got, minimal, err := ddmin(context.Background(), c.n, func(_ context.Context, s []int) (bool, error) {
				runs++
				return c.fails(s), nil
			})
			if err != nil || !minimal || !slices.Equal(got, c.want) {
				t.Fatalf("ddmin = %v, %v, %v; want %v, 1-minimal", got, minimal, err, c.want)
			}
			if runs > c.maxRun {
				t.Errorf("%d tests, want at most %d", runs, c.maxRun)
			}
		})
	}
}

func TestWriteRepro(t *testing.T) {
	fails := func(p *plan.Plan) bool { return has(p, "d-3", "d-7") }
	r, err := Shrink(context.Background(), cuts(10), Options{Run: predicate(t, fails)})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "reports", "run-1", ReproFile)
	if err := WriteRepro(path, r, "connected-within-settle"); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"# Replay it:\n#   harness chaos replay " + path + "\n", "# Violates: connected-within-settle\n", "1-minimal", "seed, 99"} {
		if !bytes.Contains(b, []byte(want)) {
			t.Errorf("repro.yaml lacks %q:\n%s", want, b)
		}
	}
	back, err := ReadRepro(path)
	if err != nil {
		t.Fatalf("repro.yaml does not parse: %v", err)
	}
	want, _ := r.Plan.Marshal()
	if got, _ := back.Marshal(); !bytes.Equal(got, want) {
		t.Fatalf("repro.yaml replays another plan:\n%s\nwant\n%s", got, want)
	}
}
