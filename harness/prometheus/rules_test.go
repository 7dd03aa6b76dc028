package prometheus

import (
	"testing"
	"time"

	"github.com/wasmbed/wasmbed/harness/internal/readmesection"
)

func loadSUTRules(t *testing.T) RuleSet {
	t.Helper()
	dir, err := RulesDir()
	if err != nil {
		t.Fatal(err)
	}
	rs, err := LoadRules(dir)
	if err != nil {
		t.Fatal(err)
	}
	return rs
}

// TestLoadRulesReadsTheBounds: the bounds specs assert come from the
// SUT's rule file.
func TestLoadRulesReadsTheBounds(t *testing.T) {
	rs := loadSUTRules(t)
	for name, want := range map[string]time.Duration{
		"WasmbedDeviceDisconnected":        10 * time.Second,
		"WasmbedGatewayLeaseExpired":       10 * time.Second,
		"WasmbedRefusalSpike":              30 * time.Second,
		"WasmbedVehicleLinkLostWhileArmed": 0,
		"WasmbedApplicationNotRunning":     5 * time.Minute,
	} {
		r, ok := rs.Alert(name)
		if !ok {
			t.Errorf("no alert %s", name)
			continue
		}
		if r.For != want {
			t.Errorf("%s: for %v, want %v", name, r.For, want)
		}
	}
	if _, ok := rs.Alert("NoSuchAlert"); ok {
		t.Error("found an alert that does not exist")
	}
}

// TestREADMERuleTables keeps README.md's tables of the rules generated
// from the rule file.
func TestREADMERuleTables(t *testing.T) {
	readmesection.Check(t, "alert-table", loadSUTRules(t).Tables(), "./harness/prometheus")
}
