package plan

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func mustRead(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func mustMarshal(t *testing.T, p *Plan) []byte {
	t.Helper()
	b, err := p.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseEveryKind(t *testing.T) {
	p, err := Parse(mustRead(t, "every-kind.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	used := map[Kind]bool{}
	for _, f := range p.Faults {
		used[f.Kind] = true
	}
	for _, k := range Kinds() {
		if !used[k.Kind] {
			t.Errorf("the reference plan uses no %s fault", k.Kind)
		}
	}
	if p.Seed == nil || *p.Seed != 1<<64-1 {
		t.Errorf("seed = %v, want 2^64-1", p.Seed)
	}
	if got := p.Faults[2]; got.Latency != 250*time.Millisecond || got.Target != Device("d-0") {
		t.Errorf("faults[2] = %+v, want a 250ms latency on device:d-0", got)
	}
	if got := p.Faults[6]; got.Target != LeaderController || !got.Restart || got.Duration != 2*time.Second {
		t.Errorf("faults[6] = %+v, want a kill of the leading controller restarted after 2s", got)
	}
	if got := p.Faults[15].Skew; !got.Epoch {
		t.Errorf("faults[15].skew = %+v, want the epoch", got)
	}
	if got := p.Faults[16].Skew; got.Offset != -10*time.Minute {
		t.Errorf("faults[16].skew = %+v, want 10m behind", got)
	}
	if d, _ := p.Fleet.Device("d-4"); d.Start != 30*time.Second {
		t.Errorf("d-4 starts at %s, want 30s", d.Start)
	}
	if got, want := p.End(), 2*time.Minute+30*time.Second; got != want {
		t.Errorf("End() = %s, want %s", got, want)
	}
}

// TestMarshalIsCanonical: a hand-written plan marshals to the canonical
// form, and the canonical form is a fixed point of Parse then Marshal.
func TestMarshalIsCanonical(t *testing.T) {
	p, err := Parse(mustRead(t, "every-kind.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	got := mustMarshal(t, p)
	want := mustRead(t, "every-kind.canonical.yaml")
	if !bytes.Equal(got, want) {
		t.Fatalf("canonical form differs:\n--- got\n%s\n--- want\n%s", got, want)
	}
	again, err := Parse(got)
	if err != nil {
		t.Fatalf("the canonical form does not parse: %v", err)
	}
	if b := mustMarshal(t, again); !bytes.Equal(b, got) {
		t.Fatalf("Marshal(Parse(canonical)) differs from canonical:\n%s", b)
	}
}

func TestMarshalLeavesDefaultsOut(t *testing.T) {
	p := &Plan{Settle: time.Minute, Faults: []Fault{{At: 0, Kind: EtcdStall, Target: Etcd, Duration: 90 * time.Second}}}
	want := `apiVersion: chaos.wasmbed.io/v1
kind: FaultPlan
spec:
  settle: 1m
  faults:
    - {at: 0s, kind: etcd-stall, target: etcd, duration: 1m30s}
`
	if got := string(mustMarshal(t, p)); got != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
	p.Faults = nil
	if got := string(mustMarshal(t, p)); !strings.Contains(got, "faults: []") {
		t.Fatalf("an empty plan should say faults: [], got\n%s", got)
	}
	if _, err := Parse(mustMarshal(t, p)); err != nil {
		t.Fatalf("an empty plan does not parse back: %v", err)
	}
}

func TestFormatDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0: "0s", 250 * time.Millisecond: "250ms", 1500 * time.Millisecond: "1.5s", 2 * time.Minute: "2m",
		90 * time.Minute: "1h30m", time.Hour + 5*time.Second: "1h5s", -10 * time.Minute: "-10m",
		time.Minute + 500*time.Millisecond: "1m500ms", 720 * time.Hour: "720h",
	} {
		got := FormatDuration(d)
		if got != want {
			t.Errorf("FormatDuration(%v) = %q, want %q", d, got, want)
		}
		if back, err := time.ParseDuration(got); err != nil || back != d {
			t.Errorf("%q does not parse back to %v: %v, %v", got, d, back, err)
		}
	}
}

func TestParseTarget(t *testing.T) {
	for s, want := range map[string]Target{
		"device:d-3": Device("d-3"), "gateway:gw-0": Gateway("gw-0"), "controller": LeaderController,
		"controller:1": Controller(1), "etcd": Etcd, "vehicle:v-1": Vehicle("v-1"),
	} {
		got, err := ParseTarget(s)
		if err != nil || got != want || got.String() != s {
			t.Errorf("ParseTarget(%q) = %v, %v; want %v", s, got, err, want)
		}
	}
	for _, s := range []string{"device", "device:", "device:D-3", "etcd:0", "controller:x", "controller:01", "container:d-3", "pod:x"} {
		if _, err := ParseTarget(s); err == nil {
			t.Errorf("ParseTarget(%q) succeeded", s)
		}
	}
}

// header is the start of every plan in the error cases: one gateway, one
// device of each backend but containers, a vehicle.
const header = `apiVersion: chaos.wasmbed.io/v1
kind: FaultPlan
spec:
  settle: 30s
  fleet:
    devices:
      - {name: d-0, backend: process}
      - {name: d-1, backend: qemu}
    vehicles: [{name: v-0}]
  faults:
`

// TestParseRefuses: each kind of bad input is refused with an error that
// names the line and the field and says what is wrong.
func TestParseRefuses(t *testing.T) {
	for _, c := range []struct {
		name, doc string
		want      []string // substrings of the error, each
	}{
		{"unknown top-level field", "apiVersion: chaos.wasmbed.io/v1\nkind: FaultPlan\nspex: {}\n",
			[]string{"line 3: spex: unknown field \"spex\"; known here: apiVersion, kind, metadata, spec", "missing spec"}},
		{"unknown fault field", header + "    - {at: 1s, kind: link-cut, target: device:d-0, duration: 1s, lenght: 2s}\n",
			[]string{`line 11: spec.faults[0].lenght: unknown field "lenght"`}},
		{"unknown fleet field", strings.Replace(header, "    devices:", "    device:\n      - {name: x}\n    devices:", 1) + "    []\n",
			[]string{`spec.fleet.device: unknown field "device"`}},
		{"unknown kind", header + "    - {at: 1s, kind: link-cutt, target: device:d-0, duration: 1s}\n",
			[]string{`line 11: spec.faults[0].kind: unknown fault kind "link-cutt"; known kinds: link-cut,`}},
		{"missing kind", header + "    - {at: 1s, target: device:d-0, duration: 1s}\n",
			[]string{`line 11: spec.faults[0].kind: required; one of link-cut`}},
		{"bad duration", header + "    - {at: 1s, kind: link-cut, target: device:d-0, duration: 5}\n",
			[]string{`line 11: spec.faults[0].duration: bad duration "5": want a number with a unit`}},
		{"bad settle", strings.Replace(header, "settle: 30s", "settle: soon", 1) + "    []\n",
			[]string{`line 4: spec.settle: bad duration "soon"`}},
		{"missing settle", strings.Replace(header, "  settle: 30s\n", "", 1) + "    []\n",
			[]string{`line 3: spec.settle: required and positive`}},
		{"negative at", header + "    - {at: -1s, kind: link-cut, target: device:d-0, duration: 1s}\n",
			[]string{`line 11: spec.faults[0].at: negative`}},
		{"overlapping link faults", header +
			"    - {at: 1s, kind: link-cut, target: device:d-0, duration: 5s}\n" +
			"    - {at: 2s, kind: link-cut, target: device:d-1, duration: 5s}\n" +
			"    - {at: 6s, kind: link-latency, target: device:d-0, duration: 5s, latency: 1s}\n",
			[]string{`line 13: spec.faults[2]: overlaps faults[0] (link-cut on device:d-0 from 1s to 6s): both hold the link of device:d-0`}},
		{"overlapping leader and replica kill", strings.Replace(header, "    devices:", "    controllers: 2\n    devices:", 1) +
			"    - {at: 1s, kind: kill, target: controller:1, duration: 5s, restart: true}\n" +
			"    - {at: 2s, kind: restart, target: controller, duration: 1s}\n",
			[]string{`line 13: spec.faults[1]: overlaps faults[0] (kill on controller:1 from 1s to 6s): both hold the process of controller`}},
		{"device outside the fleet", header + "    - {at: 1s, kind: link-cut, target: device:d-9, duration: 1s}\n",
			[]string{`line 11: spec.faults[0].target: no device "d-9" in the fleet`}},
		{"gateway outside the fleet", header + "    - {at: 1s, kind: kill, target: gateway:gw-1}\n",
			[]string{`line 11: spec.faults[0].target: no gateway "gw-1" in the fleet (gateways: gw-0)`}},
		{"controller replica outside the fleet", header + "    - {at: 1s, kind: kill, target: controller:1}\n",
			[]string{`line 11: spec.faults[0].target: the fleet has 1 controller replica(s)`}},
		{"vehicle outside the fleet", header + "    - {at: 1s, kind: mavlink-loss, target: vehicle:v-1, duration: 1s}\n",
			[]string{`line 11: spec.faults[0].target: no vehicle "v-1" in the fleet`}},
		{"wrong target type", header + "    - {at: 1s, kind: etcd-stall, target: device:d-0, duration: 1s}\n",
			[]string{`line 11: spec.faults[0].target: etcd-stall is aimed at etcd only, not at device:d-0`}},
		{"bad target", header + "    - {at: 1s, kind: link-cut, target: container:d-0, duration: 1s}\n",
			[]string{`line 11: spec.faults[0].target: target "container:d-0": unknown target type "container"`}},
		{"backend the kind does not apply to", header + "    - {at: 1s, kind: power-reset, target: device:d-0}\n",
			[]string{`line 11: spec.faults[0].target: power-reset applies to qemu devices; device d-0 is process`}},
		{"container fault on a process SUT", header + "    - {at: 1s, kind: container-pause, target: gateway:gw-0, duration: 1s}\n",
			[]string{`spec.faults[0].target: container-pause needs the SUT in containers (spec.fleet.sut: containers)`}},
		{"container fault on a process device", header + "    - {at: 1s, kind: container-pause, target: device:d-0, duration: 1s}\n",
			[]string{`spec.faults[0].target: container-pause applies to containers devices; device d-0 is process`}},
		{"window required", header + "    - {at: 1s, kind: link-cut, target: device:d-0}\n",
			[]string{`line 11: spec.faults[0].duration: required: link-cut lasts from at to at+duration`}},
		{"instant with a window", header + "    - {at: 1s, kind: power-reset, target: device:d-1, duration: 1s}\n",
			[]string{`line 11: spec.faults[0].duration: power-reset is an instant and takes no duration`}},
		{"kill downtime without restart", header + "    - {at: 1s, kind: kill, target: gateway:gw-0, duration: 3s}\n",
			[]string{`spec.faults[0].duration: a kill's duration is its downtime before the engine restarts it: set restart: true`}},
		{"parameter the kind does not take", header + "    - {at: 1s, kind: link-cut, target: device:d-0, duration: 1s, latency: 1s}\n",
			[]string{`line 11: spec.faults[0].latency: link-cut takes no latency`}},
		{"zero parameter the kind does not take", header + "    - {at: 1s, kind: link-cut, target: device:d-0, duration: 1s, restart: false}\n",
			[]string{`line 11: spec.faults[0].restart: link-cut takes no restart`}},
		{"required parameter missing", header + "    - {at: 1s, kind: link-latency, target: device:d-0, duration: 1s}\n",
			[]string{`line 11: spec.faults[0].latency: required by link-latency`}},
		{"flap period longer than its window", header + "    - {at: 1s, kind: link-flap, target: device:d-0, duration: 1s, period: 2s}\n",
			[]string{`spec.faults[0].period: 2s is longer than the window (1s)`}},
		{"bad skew", header + "    - {at: 1s, kind: clock-skew, target: device:d-0, duration: 1s, skew: tomorrow}\n",
			[]string{`line 11: spec.faults[0].skew: bad skew "tomorrow": want a signed duration`}},
		{"validity in fractions of a second", strings.Replace(header, "    vehicles", "    vehicles", 1) +
			"    - {at: 1s, kind: cert-lifetime, target: gateway:gw-0, duration: 10s, validity: 1500ms}\n",
			[]string{`spec.faults[0].validity: want a positive whole number of seconds`}},
		{"bad boolean", header + "    - {at: 1s, kind: kill, target: gateway:gw-0, restart: yes}\n",
			[]string{`line 11: spec.faults[0].restart: want true or false, got "yes"`}},
		{"wrong apiVersion", strings.Replace(header, "chaos.wasmbed.io/v1", "chaos.wasmbed.io/v2", 1) + "    []\n",
			[]string{`line 1: apiVersion: want chaos.wasmbed.io/v1, got "chaos.wasmbed.io/v2"`}},
		{"wrong kind", strings.Replace(header, "kind: FaultPlan", "kind: Plan", 1) + "    []\n",
			[]string{`line 2: kind: want FaultPlan, got "Plan"`}},
		{"duplicate key", header + "    - {at: 1s, at: 2s, kind: link-cut, target: device:d-0, duration: 1s}\n",
			[]string{`line 11: spec.faults[0].at: given twice`}},
		{"duplicate device name", strings.Replace(header, "name: d-1", "name: d-0", 1) + "    []\n",
			[]string{`line 8: spec.fleet.devices[1].name: "d-0" is already the name of spec.fleet.devices[0]`}},
		{"unknown backend", strings.Replace(header, "backend: qemu", "backend: vm", 1) + "    []\n",
			[]string{`line 8: spec.fleet.devices[1].backend: unknown device backend "vm"`}},
		{"device on an unknown gateway", strings.Replace(header, "backend: qemu}", "backend: qemu, gateway: gw-9}", 1) + "    []\n",
			[]string{`line 8: spec.fleet.devices[1].gateway: no gateway "gw-9" in the fleet`}},
		{"negative device start", strings.Replace(header, "backend: qemu}", "backend: qemu, start: -1s}", 1) + "    []\n",
			[]string{`line 8: spec.fleet.devices[1].start: negative`}},
		{"fault before its device starts", strings.Replace(header, "backend: qemu}", "backend: qemu, start: 5s}", 1) +
			"    - {at: 1s, kind: link-cut, target: device:d-1, duration: 1s}\n",
			[]string{`line 11: spec.faults[0].target: device d-1 starts at 5s, after this fault (at 1s)`}},
		{"pilot outside the fleet", strings.Replace(header, "{name: v-0}", "{name: v-0, pilot: d-7}", 1) + "    []\n",
			[]string{`line 9: spec.fleet.vehicles[0].pilot: no device "d-7" in the fleet`}},
		{"wrong shape", header + "    - link-cut\n",
			[]string{`line 11: spec.faults[0]: want a mapping, got "link-cut"`}},
		{"null value", header + "    - {at: 1s, kind: link-cut, target: device:d-0, duration: }\n",
			[]string{`line 11: spec.faults[0].duration: want a value, got nothing`}},
		{"alias", header + "    - &f {at: 1s, kind: link-cut, target: device:d-0, duration: 1s}\n    - *f\n",
			[]string{`line 11: spec.faults[0]: anchors and aliases are not allowed`}},
		{"two documents", header + "    []\n---\napiVersion: chaos.wasmbed.io/v1\n",
			[]string{`line 12: a plan is one YAML document`}},
		{"empty", "", []string{"the document is empty"}},
		{"not YAML", "apiVersion: [\n", []string{"not YAML"}},
		{"every error at once", header +
			"    - {at: 1s, kind: link-cutt, target: device:d-0, duration: 1s}\n" +
			"    - {at: 1s, kind: link-cut, target: device:d-9, duration: 1s}\n",
			[]string{"2 errors", "line 11: spec.faults[0].kind", "line 12: spec.faults[1].target"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			p, err := Parse([]byte(c.doc))
			if err == nil {
				t.Fatalf("accepted:\n%s\nas %+v", c.doc, p)
			}
			var pe *Errors
			if !errors.As(err, &pe) {
				t.Fatalf("error %v is not a *plan.Errors", err)
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error\n%v\nlacks %q", err, w)
				}
			}
		})
	}
}

func TestParseFileNamesTheFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "plan.yaml")
	if err := os.WriteFile(path, []byte(header+"    - {at: 1s, kind: link-cutt, target: device:d-0, duration: 1s}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := ParseFile(path)
	if want := path + ":11: spec.faults[0].kind: unknown fault kind"; err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("error %v lacks %q", err, want)
	}
}

// TestValidateCodeBuiltPlans: a plan built in code meets the same rules,
// with fields but no lines.
func TestValidateCodeBuiltPlans(t *testing.T) {
	p := &Plan{Settle: time.Second, Fleet: Fleet{Devices: []FleetDevice{{Name: "d-0", Backend: BackendProcess}}},
		Faults: []Fault{
			{At: time.Second, Kind: LinkCut, Target: Device("d-0"), Duration: time.Second},
			{At: 2 * time.Second, Kind: LinkReset, Target: Device("d-0"), Duration: time.Second},
		}}
	err := p.Validate()
	if want := "spec.faults[1]: overlaps faults[0]"; err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("a fault starting when the previous one on the same link ends: error %v, want %q", err, want)
	}
	p.Faults[1].At = 2*time.Second + time.Millisecond
	if err := p.Validate(); err != nil {
		t.Fatalf("faults with a gap between them: %v", err)
	}
}
