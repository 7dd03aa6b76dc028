package plan

import (
	"regexp"
	"slices"
	"testing"

	"github.com/wasmbed/wasmbed/harness/internal/readmesection"
)

func TestCatalogueIsWellFormed(t *testing.T) {
	name := regexp.MustCompile(`^[a-z]+(-[a-z]+)*$`)
	holds := []string{holdsLink, holdsProcess, holdsNetwork, holdsClock, holdsCertificates, holdsMAVLink}
	seen := map[Kind]bool{}
	for _, k := range kinds {
		switch {
		case !name.MatchString(string(k.Kind)):
			t.Errorf("%q is not a kebab-case name", k.Kind)
		case seen[k.Kind]:
			t.Errorf("%s is listed twice", k.Kind)
		case len(k.Targets) == 0 || k.Does == "" || k.Undo == "":
			t.Errorf("%s lacks targets, or says not what it does or how it is undone", k.Kind)
		case !slices.Contains(holds, k.Holds):
			t.Errorf("%s holds %q, no known resource", k.Kind, k.Holds)
		case k.Window == WindowNone && k.gen.maxWindow != 0:
			t.Errorf("%s is an instant but the generator draws a window for it", k.Kind)
		case k.Window != WindowNone && (k.gen.maxWindow <= 0 || k.gen.minWindow > k.gen.maxWindow):
			t.Errorf("%s: the generator's window [%s, %s] is empty", k.Kind, k.gen.minWindow, k.gen.maxWindow)
		case k.Window == WindowRequired && k.gen.minWindow <= 0:
			t.Errorf("%s needs a window, but the generator may draw none", k.Kind)
		}
		for _, p := range append(slices.Clone(k.Required), k.Optional...) {
			if !slices.Contains(params, p) {
				t.Errorf("%s takes %q, no known parameter", k.Kind, p)
			}
		}
		if len(k.Required) > 0 && k.gen.params == nil {
			t.Errorf("%s requires parameters the generator does not draw", k.Kind)
		}
		seen[k.Kind] = true
	}
}

// TestREADMEKindTable keeps README.md's table of fault kinds in step with
// the catalogue. Regenerate with WASMBED_UPDATE_README=1 go test
// ./harness/chaos/plan.
func TestREADMEKindTable(t *testing.T) {
	readmesection.Check(t, "chaos-kinds", KindTable(), "./harness/chaos/plan")
}
