package attack

import (
	"regexp"
	"testing"

	"github.com/wasmbed/wasmbed/harness/internal/readmesection"
	"github.com/wasmbed/wasmbed/sut/abi"
	"github.com/wasmbed/wasmbed/sut/protocol"
	"github.com/wasmbed/wasmbed/sut/refusal"
)

// knownReasons are the SUT's stable reason codes, as its contract
// packages list them, and the API server's Forbidden: an attack must expect
// one of them.
func knownReasons() map[refusal.Reason]bool {
	known := map[refusal.Reason]bool{ReasonForbidden: true}
	for _, list := range [][]refusal.Reason{protocol.Reasons(), refusal.Reasons(), abi.Reasons()} {
		for _, r := range list {
			known[r] = true
		}
	}
	return known
}

func TestCatalogIsWellFormed(t *testing.T) {
	name := regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9.]+)*$`)
	seen := map[string]bool{}
	known := knownReasons()
	for _, a := range Catalog() {
		switch {
		case !name.MatchString(a.Name):
			t.Errorf("%q is not a kebab-case name", a.Name)
		case seen[a.Name]:
			t.Errorf("%s is listed twice", a.Name)
		case a.Run == nil || a.Does == "" || a.Category == "":
			t.Errorf("%s lacks a run function, a description or a category", a.Name)
		case stageText[a.Stage] == "":
			t.Errorf("%s: unknown stage %q", a.Name, a.Stage)
		case !known[a.Reason]:
			t.Errorf("%s: %q is not one of the SUT's reason codes", a.Name, a.Reason)
		}
		seen[a.Name] = true
	}
}

// TestREADMEAttackTable keeps README.md's attack table in step with the
// catalogue. Regenerate with WASMBED_UPDATE_README=1 go test ./harness/attack.
func TestREADMEAttackTable(t *testing.T) {
	readmesection.Check(t, "attack-table", Table(), "./harness/attack")
}

// TestStagesAreTheGateways: every stage the table describes is one the
// gateway counts refusals at, or the API server.
func TestStagesAreTheGateways(t *testing.T) {
	gateway := map[refusal.Stage]bool{}
	for _, s := range refusal.Stages() {
		gateway[s] = true
	}
	for s := range stageText {
		if !gateway[s] && s != StageAPIServer {
			t.Errorf("stage %q is not one of the gateway's (refusal.Stages)", s)
		}
	}
}
