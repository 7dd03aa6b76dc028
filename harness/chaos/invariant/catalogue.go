package invariant

import (
	"fmt"
	"slices"
	"strings"

	"github.com/wasmbed/wasmbed/harness/internal/mdtable"
)

// Entry is one invariant of the catalogue: its name, when it must hold,
// what it asserts, and what its check needs from the live system.
type Entry struct {
	Name        string
	Phase       Phase
	Description string
	Needs       string
}

// catalogue is every invariant a chaos run checks (issue 12, item 3). The
// checks are bound by the testbed, which has the live system (Define).
var catalogue = []Entry{
	{Name: "connected-within-settle", Phase: Settled,
		Description: "every device of the fleet that should be Connected (powered, not revoked) is Connected, with one session on its gateway, within the settle bound after the plan's last change",
		Needs:       "Device status from the API; Facts.SettleDeadline (the settle bound after the plan's last heal or late boot)"},
	{Name: "runs-current-digest", Phase: Settled,
		Description: "each device an Application targets runs exactly the Application's current digest, once: no deployment lost, none duplicated, none left from an older version",
		Needs:       "Applications and Device status from the API; what each device reports running"},
	{Name: "no-stray-objects", Phase: Settled,
		Description: "no Device and no Secret exists that the fleet does not account for: no second Device for a re-enrolled device, no orphaned credential or token Secret",
		Needs:       "Devices and Secrets in the namespace; the fleet's device names and enrolment methods"},
	{Name: "gauge-matches-sessions", Phase: Settled,
		Description: "each gateway's `wasmbed_gateway_connected_devices` equals its true number of device sessions",
		Needs:       "each gateway's `/metrics` and the sessions it holds (devices Connected through it)"},
	{Name: "no-sut-leak", Phase: Settled,
		Description: "the goroutines and open file descriptors of every SUT process are back within a margin of the baseline taken before the first fault",
		Needs:       "a baseline in Prepare; the processes' `/proc/<pid>/fd` and `go_goroutines` from `/metrics`"},
	{Name: "no-legit-refusal", Phase: Always,
		Description: "no device of the fleet is refused for a reason that blames the device (`token_reused`, `unknown_device`, `certificate_expired`, ...), at any time; transport refusals the fault itself causes do not count",
		Needs:       "`wasmbed_gateway_refusals_total` by reason and the gateways' refusal events, matched to the fleet's devices"},
}

// Catalogue returns every invariant a chaos run checks.
func Catalogue() []Entry { return slices.Clone(catalogue) }

// Lookup returns the catalogue's entry for name.
func Lookup(name string) (Entry, bool) {
	i := slices.IndexFunc(catalogue, func(e Entry) bool { return e.Name == name })
	if i < 0 {
		return Entry{}, false
	}
	return catalogue[i], true
}

// Define binds a check to a catalogued invariant, with the phase the
// catalogue gives it. A name outside the catalogue is an error: an
// invariant that is not listed is one the README does not tell users
// about.
func Define(name string, check Check) (Invariant, error) {
	e, ok := Lookup(name)
	if !ok {
		names := make([]string, len(catalogue))
		for i, c := range catalogue {
			names[i] = c.Name
		}
		return Invariant{}, fmt.Errorf("invariant %q is not in the catalogue (%s): add it to harness/chaos/invariant first", name, strings.Join(names, ", "))
	}
	if check == nil {
		return Invariant{}, fmt.Errorf("invariant %s: no check", name)
	}
	return Invariant{Name: e.Name, Phase: e.Phase, Check: check}, nil
}

// Table renders the catalogue as the Markdown table README.md carries
// between its chaos-invariants markers.
func Table() string {
	rows := make([][]string, len(catalogue))
	for i, e := range catalogue {
		when := "at every check, during the faults too"
		if e.Phase == Settled {
			when = "within the settle bound after the plan's last change"
		}
		rows[i] = []string{"`" + e.Name + "`", when, e.Description, e.Needs}
	}
	return mdtable.Render([]string{"Invariant", "Holds", "Asserts", "Its check reads"}, rows)
}
