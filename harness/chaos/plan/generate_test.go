package plan

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// mixedFleet is the shape the chaos label runs: process, in-process and
// one QEMU guest, a vehicle, a gateway, two controllers.
func mixedFleet() Fleet {
	return Fleet{
		Controllers: 2,
		Devices: []FleetDevice{
			{Name: "d-0", Backend: BackendProcess}, {Name: "d-1", Backend: BackendProcess},
			{Name: "d-2", Backend: BackendInProcess}, {Name: "d-3", Backend: BackendInProcess},
			{Name: "d-4", Backend: BackendQEMU, Profile: "arm64-virt"},
		},
		Vehicles: []FleetVehicle{{Name: "v-0", Pilot: "d-0"}},
	}
}

func mixedBudget() Budget {
	return Budget{Faults: 12, Duration: 2 * time.Minute, Fleet: mixedFleet()}
}

func generate(t *testing.T, seed uint64, b Budget) []byte {
	t.Helper()
	p, err := Generate(seed, b)
	if err != nil {
		t.Fatal(err)
	}
	return mustMarshal(t, p)
}

// TestGenerateIsDeterministic is the Must-show test: the same seed and
// budget give the same plan byte for byte, and another seed another plan.
func TestGenerateIsDeterministic(t *testing.T) {
	a := generate(t, 42, mixedBudget())
	b := generate(t, 42, mixedBudget())
	if !bytes.Equal(a, b) {
		t.Fatalf("seed 42 gave two different plans:\n%s\n---\n%s", a, b)
	}
	if c := generate(t, 43, mixedBudget()); bytes.Equal(a, c) {
		t.Fatalf("seeds 42 and 43 gave the same plan:\n%s", a)
	}
}

// TestGenerateGolden pins what seed 42 means. PCG and the draws are fully
// specified, so the plan is the same on every machine and Go release; it
// changes only when the generator or the catalogue's ranges change, and
// then a reviewer sees the new plan in the diff. Regenerate with
// WASMBED_UPDATE_GOLDEN=1 go test ./harness/chaos/plan.
func TestGenerateGolden(t *testing.T) {
	got := generate(t, 42, mixedBudget())
	path := filepath.Join("testdata", "seed-42.yaml")
	if os.Getenv("WASMBED_UPDATE_GOLDEN") != "" {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if want := mustRead(t, "seed-42.yaml"); !bytes.Equal(got, want) {
		t.Fatalf("seed 42 no longer gives %s:\n%s\n(if the generator changed on purpose: WASMBED_UPDATE_GOLDEN=1 go test ./harness/chaos/plan)", path, got)
	}
}

// TestGeneratedPlansAreValid: over many seeds, every plan has the
// budgeted number of faults, all within the run, of kinds the fleet
// supports, and survives Parse unchanged.
func TestGeneratedPlansAreValid(t *testing.T) {
	b := mixedBudget()
	seen := map[Kind]bool{}
	for seed := range uint64(300) {
		p, err := Generate(seed, b)
		if err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
		if len(p.Faults) != b.Faults {
			t.Fatalf("seed %d: %d faults, want %d", seed, len(p.Faults), b.Faults)
		}
		if p.End() > b.Duration {
			t.Fatalf("seed %d: the last fault ends at %s, after the run's %s", seed, p.End(), b.Duration)
		}
		for _, f := range p.Faults {
			seen[f.Kind] = true
		}
		out := mustMarshal(t, p)
		back, err := Parse(out)
		if err != nil {
			t.Fatalf("seed %d: the generated plan does not parse: %v\n%s", seed, err, out)
		}
		if again := mustMarshal(t, back); !bytes.Equal(again, out) {
			t.Fatalf("seed %d: Parse changed the plan:\n%s\n---\n%s", seed, out, again)
		}
	}
	for _, k := range Kinds() {
		supported := len(targetsFor(k, &b.Fleet)) > 0
		if seen[k.Kind] != supported {
			t.Errorf("%s: drawn %v over 300 seeds, but the fleet supports it: %v", k.Kind, seen[k.Kind], supported)
		}
	}
}

func TestGenerateHonoursKinds(t *testing.T) {
	b := mixedBudget()
	b.Kinds = []Kind{EtcdStall, PowerReset}
	p, err := Generate(7, b)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range p.Faults {
		if f.Kind != EtcdStall && f.Kind != PowerReset {
			t.Fatalf("drew %s, which the budget does not allow", f.Kind)
		}
		if f.Kind == PowerReset && f.Target != Device("d-4") {
			t.Fatalf("power-reset aimed at %s, which is no QEMU guest", f.Target)
		}
	}
}

func TestGenerateRefuses(t *testing.T) {
	for _, c := range []struct {
		name string
		edit func(*Budget)
		want string
	}{
		{"a kind the fleet has no target for", func(b *Budget) { b.Kinds = []Kind{ContainerPause} },
			"the budget allows container-pause (no device, gateway or controller in the fleet qualifies)"},
		{"an unknown kind", func(b *Budget) { b.Kinds = []Kind{"meteor"} }, `unknown fault kind "meteor"`},
		{"a window longer than the run", func(b *Budget) { b.Kinds = []Kind{ClockSkew}; b.Duration = 5 * time.Second },
			"clock-skew (its shortest window, 10s, exceeds the duration)"},
		{"more faults than fit", func(b *Budget) {
			b.Kinds = []Kind{EtcdStall}
			b.Duration = 10 * time.Second
			b.Faults = 20
		}, "placed only"},
		{"an invalid fleet", func(b *Budget) { b.Fleet.Devices[1].Name = "d-0" }, `"d-0" is already the name`},
		{"no duration", func(b *Budget) { b.Duration = 0 }, "needs a positive duration"},
	} {
		t.Run(c.name, func(t *testing.T) {
			b := mixedBudget()
			c.edit(&b)
			_, err := Generate(1, b)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want one containing %q", err, c.want)
			}
		})
	}
}

func TestGenerateOwnsItsFleet(t *testing.T) {
	b := mixedBudget()
	p, err := Generate(1, b)
	if err != nil {
		t.Fatal(err)
	}
	p.Fleet.Devices[0].Name = "changed"
	if b.Fleet.Devices[0].Name != "d-0" {
		t.Fatal("the plan shares its device list with the budget")
	}
}
