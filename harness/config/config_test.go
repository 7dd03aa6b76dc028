package config_test

import (
	"flag"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/wasmbed/wasmbed/harness/config"
)

func register(t *testing.T, args ...string) (*config.Config, error) {
	t.Helper()
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	c := config.Register(fs)
	return c, fs.Parse(args)
}

func TestDefaults(t *testing.T) {
	for _, s := range config.Settings {
		t.Setenv(s.Var, "")
	}
	c, err := register(t)
	if err != nil {
		t.Fatal(err)
	}
	if c.Cluster != "local" || c.Devices != "process" || c.SpeedFactor != 10 || c.TimeoutScale != 1 || c.KVM != "auto" || c.QEMUMax != 16 || c.KeepCluster {
		t.Fatalf("defaults: %+v", c)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if c.RunID == "" {
		t.Error("Validate left the run id empty")
	}
}

func TestFlagWinsOverVariable(t *testing.T) {
	t.Setenv("WASMBED_CLUSTER", "existing")
	t.Setenv("WASMBED_TIMEOUT_SCALE", "3")
	t.Setenv("WASMBED_KIND_NODE_IMAGE", "from-env")
	c, err := register(t, "-wasmbed.cluster=kind", "-wasmbed.keep-cluster", "-wasmbed.kind-node-image=from-flag")
	if err != nil {
		t.Fatal(err)
	}
	if c.Cluster != "kind" || !c.KeepCluster || c.KindNodeImage != "from-flag" {
		t.Fatalf("flags did not win: %+v", c)
	}
	if c.TimeoutScale != 3 {
		t.Fatalf("variable ignored: TimeoutScale=%v", c.TimeoutScale)
	}
	if got := c.Scale(10 * time.Second); got != 30*time.Second {
		t.Fatalf("Scale(10s) = %v with WASMBED_TIMEOUT_SCALE=3", got)
	}
}

func TestBadValuesAreReported(t *testing.T) {
	t.Setenv("WASMBED_DEVICES", "toaster")
	t.Setenv("WASMBED_TIMEOUT_SCALE", "-1")
	t.Setenv("WASMBED_KVM", "maybe")
	c, err := register(t)
	if err != nil {
		t.Fatal(err)
	}
	err = c.Validate()
	if err == nil {
		t.Fatal("Validate accepted bad variables")
	}
	for _, want := range []string{`WASMBED_DEVICES="toaster"`, `WASMBED_TIMEOUT_SCALE="-1"`, `WASMBED_KVM="maybe"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %s", err, want)
		}
	}
	if c.Devices != "process" {
		t.Errorf("a bad variable left Devices=%q, want the default", c.Devices)
	}

	if _, err := register(t, "-wasmbed.cluster=mars"); err == nil {
		t.Error("a bad flag value parsed")
	}
	t.Setenv("WASMBED_KVM", "") // it has no flag to override it
	c, err = register(t, "-wasmbed.devices=qemu", "-wasmbed.timeout-scale=2")
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Errorf("flags that override bad variables still fail: %v", err)
	}

	c.SpeedFactor = 0
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "WASMBED_SPEED_FACTOR") {
		t.Errorf("a bad value set in code passed Validate: %v", err)
	}
}

func TestSeed(t *testing.T) {
	t.Setenv("WASMBED_SEED", "")
	a, _ := register(t)
	b, _ := register(t)
	if err := a.Validate(); err != nil {
		t.Fatal(err)
	}
	if err := b.Validate(); err != nil {
		t.Fatal(err)
	}
	if a.Seed == b.Seed {
		t.Errorf("two runs without WASMBED_SEED drew the same seed %d", a.Seed)
	}
	seed := a.Seed
	if err := a.Validate(); err != nil || a.Seed != seed {
		t.Errorf("Validate drew a new seed for a run that has one: %d then %d", seed, a.Seed)
	}

	t.Setenv("WASMBED_SEED", "18446744073709551615")
	c, _ := register(t)
	if err := c.Validate(); err != nil || c.Seed != 18446744073709551615 {
		t.Errorf("WASMBED_SEED=max: seed %d, %v", c.Seed, err)
	}
	c, _ = register(t, "-wasmbed.seed=0")
	if err := c.Validate(); err != nil || c.Seed != 0 {
		t.Errorf("-wasmbed.seed=0 is a seed like any other: seed %d, %v", c.Seed, err)
	}
	t.Setenv("WASMBED_SEED", "-3")
	c, _ = register(t)
	if err := c.Validate(); err == nil {
		t.Error("a negative seed passed")
	}
}

func TestEverySettingIsDeclaredOnce(t *testing.T) {
	vars, flags := map[string]bool{}, map[string]bool{}
	for _, s := range config.Settings {
		if vars[s.Var] || (s.Flag != "" && flags[s.Flag]) {
			t.Errorf("%s / -%s declared twice", s.Var, s.Flag)
		}
		vars[s.Var], flags[s.Flag] = true, true
		if s.Help == "" {
			t.Errorf("%s has no meaning", s.Var)
		}
	}
}
