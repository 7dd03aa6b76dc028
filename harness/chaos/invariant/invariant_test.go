package invariant

import (
	"context"
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/wasmbed/wasmbed/harness/chaos/plan"
	"github.com/wasmbed/wasmbed/harness/internal/readmesection"
)

func TestCatalogueIsWellFormed(t *testing.T) {
	name := regexp.MustCompile(`^[a-z]+(-[a-z]+)*$`)
	seen := map[string]bool{}
	for _, e := range Catalogue() {
		switch {
		case !name.MatchString(e.Name):
			t.Errorf("%q is not a kebab-case name", e.Name)
		case seen[e.Name]:
			t.Errorf("%s is listed twice", e.Name)
		case e.Description == "" || e.Needs == "":
			t.Errorf("%s lacks a description or what it needs", e.Name)
		case e.Phase != Always && e.Phase != Settled:
			t.Errorf("%s: unknown phase %v", e.Name, e.Phase)
		}
		seen[e.Name] = true
	}
}

func TestDefine(t *testing.T) {
	inv, err := Define("no-legit-refusal", func(context.Context, Facts) error { return nil })
	if err != nil || inv.Phase != Always || inv.Name != "no-legit-refusal" {
		t.Fatalf("Define = %+v, %v", inv, err)
	}
	if _, err := Define("everything-fine", func(context.Context, Facts) error { return nil }); err == nil ||
		!strings.Contains(err.Error(), `invariant "everything-fine" is not in the catalogue`) {
		t.Fatalf("an uncatalogued name: %v", err)
	}
	if _, err := Define("no-sut-leak", nil); err == nil {
		t.Fatal("a nil check was accepted")
	}
}

func TestViolationNamesTheInvariant(t *testing.T) {
	cause := errors.New("device d-3 is Unreachable")
	var err error = &Violation{Invariant: "connected-within-settle", At: 95 * time.Second, Err: cause}
	if want := "invariant connected-within-settle violated at the settle bound (1m35s after the start): device d-3 is Unreachable"; err.Error() != want {
		t.Fatalf("got %q, want %q", err, want)
	}
	if !errors.Is(err, cause) {
		t.Fatal("the violation does not wrap its cause")
	}
}

func TestFacts(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	p := &plan.Plan{Settle: 30 * time.Second, Fleet: plan.Fleet{Devices: []plan.FleetDevice{
		{Name: "d-0", Backend: plan.BackendProcess}, {Name: "d-1", Backend: plan.BackendProcess}, {Name: "d-2", Backend: plan.BackendProcess},
	}}}
	f := Facts{Plan: p, Start: t0, Windows: []Window{
		{Fault: 1, Kind: plan.LinkCut, Target: plan.Device("d-2"), Resolved: plan.Device("d-2"), Injected: t0.Add(time.Second), Healed: t0.Add(9 * time.Second)},
		{Fault: 0, Kind: plan.Kill, Target: plan.LeaderController, Resolved: plan.Controller(1), Injected: t0.Add(2 * time.Second), Healed: t0.Add(2 * time.Second)},
		{Fault: 2, Kind: plan.LinkCut, Target: plan.Device("d-0"), Resolved: plan.Device("d-0"), Injected: t0.Add(3 * time.Second)},
	}}
	if got := f.ActiveWindows(); len(got) != 1 || got[0].Fault != 2 {
		t.Errorf("ActiveWindows = %+v, want fault 2", got)
	}
	if got := f.LastHeal(); !got.Equal(t0.Add(9 * time.Second)) {
		t.Errorf("LastHeal = %v", got)
	}
	if got := f.SettleDeadline(); !got.Equal(t0.Add(39 * time.Second)) {
		t.Errorf("SettleDeadline = %v", got)
	}
	if got := f.FaultedDevices(); strings.Join(got, ",") != "d-0,d-2" {
		t.Errorf("FaultedDevices = %v, want d-0,d-2 in the fleet's order", got)
	}
	if got := f.On(plan.Controller(1)); len(got) != 1 || got[0].Fault != 0 {
		t.Errorf("On(controller:1) = %+v, want the kill of the leader that hit it", got)
	}
	f.Boots = []Boot{{Device: "d-1", At: t0.Add(20 * time.Second)}}
	if got := f.SettleDeadline(); !got.Equal(t0.Add(50 * time.Second)) {
		t.Errorf("SettleDeadline after a late boot = %v, want the boot at 20s plus 30s", got)
	}
	if got := (Facts{Plan: p, Start: t0}).LastHeal(); !got.Equal(t0) {
		t.Errorf("LastHeal with no faults = %v, want the start", got)
	}
}

// TestREADMEInvariantTable keeps README.md's invariant table in step with
// the catalogue. Regenerate with WASMBED_UPDATE_README=1 go test
// ./harness/chaos/invariant.
func TestREADMEInvariantTable(t *testing.T) {
	readmesection.Check(t, "chaos-invariants", Table(), "./harness/chaos/invariant")
}
