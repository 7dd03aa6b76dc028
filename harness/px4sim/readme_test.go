package px4sim_test

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wasmbed/wasmbed/harness/internal/readmesection"
	"github.com/wasmbed/wasmbed/harness/workspace"
)

// fidelityFact is one fact issue 18 reports from real PX4 v1.16.0 SITL,
// what the simulator does about it, and the tests that pin it
// ("package.TestName", package relative to harness/, or to sut/ for
// the gateway's side of a fact).
type fidelityFact struct {
	n         int
	fact      string
	simulator string
	tests     []string
}

var fidelityFacts = []fidelityFact{
	{1, `"Ready for takeoff!" is console-only (SITL builds). A ground station sees readiness as SYS_STATUS's MAV_SYS_STATUS_PREARM_CHECK bit, on at the same moment (about 4.7 s after boot).`,
		"Prints it through `Config.Logf` only. SYS_STATUS always reports the pre-arm bit present and enabled, healthy while the pre-arm checks pass in the current mode; `ReadyDelay` defaults to 4.7 s.",
		[]string{"px4sim.TestFact1ReadinessIsThePrearmBitNotAText", "px4sitl.TestReadyWaitSaysWhatIsMissing", "mavobserver.TestObserverSeesReadinessAsThePrearmBit"}},
	{2, "STATUSTEXT goes only to links where a MAV_TYPE_GCS heartbeat arrived within the last 2.5 s; texts queued for more than 5 s are dropped. A passive listener gets no texts.",
		"Every link keeps its own queue of the vehicle's texts, sends it while a GCS heartbeat on that link is at most 2.5 s old (vehicle time) and drops texts 5 s old (`LinkStats.TextsDropped`).",
		[]string{"px4sim.TestFact2StatusTextReachesOnlyLinksWithAGroundStation", "px4sim.TestDataLinkLossFailsafeOnlyCountsGCSHeartbeats", "mavobserver.TestObserverMasksDataLinkLossUntilItStopsItsHeartbeats", "mavobserver.TestNotSaidSinceFailsWhenItCouldNotHaveHeard"}},
	{3, "COMMAND_ACK goes only to the link, and component, the command came from.",
		"Commander's acks go to the links where the sender's system and component were heard, addressed to them; the MAVLink module's own commands are answered on the receiving link.",
		[]string{"px4sim.TestFact3CommandAckGoesOnlyToTheCommandingLink", "mavobserver.TestObserverSeesTheOutcomeNotTheAck"}},
	{4, `Commander's texts may end in a tab ("Arming denied: Resolve system health failures first\t") and arrive in two chunks.`,
		"The texts PX4 also sends as events end in a tab (arming, disarming, take-off and landing detected, data link lost and regained, the denials); each link numbers its texts (id) and splits them into 50-byte chunks (chunk_seq).",
		[]string{"px4sim.TestFact4CommanderTextsEndInATabAndArriveInChunks", "mavobserver.TestObserverReassemblesLongStatusTexts", "vehiclebridge.TestTextsAreJoinedAndTrimmed"}},
	{5, "Home is reset at arming and again at take-off detection. On the ground the relative altitude wanders between -0.7 and +1.06 m; a take-off to 10 m peaked at 10.14-10.52 m; a landed vehicle read 0.503 m.",
		"Reports and flies on an estimate: the truth plus a slow drift (0.4 m, one-minute time constant, from zero at boot) and a ground-effect dip (0.4-0.8 m per vehicle, fading by 2 m) while the motors lift; home is the estimate at readiness, arming and take-off detection. All of it drawn from `Config.Seed`.",
		[]string{"px4sim.TestFact5AltitudeReadsLikePX4s", "px4sim.TestFact5HomeIsResetAtArmingAndAtTakeoff"}},
	{6, "A PX4 instance takes 0.9-1.2 cores at speed factor 10; two at 10x on 2 cores flap their links, at 3x both fly.",
		"Not simulated (the simulator is cheap). Specs that fly several vehicles scale their speed factor with `testbed.VehicleSpeed` and say so in their output.",
		[]string{"testbed.TestVehicleSpeedFollowsPX4sCPUCost"}},
}

// The README's table of the facts is generated from fidelityFacts, and
// every test it cites must exist. Regenerate with
// WASMBED_UPDATE_README=1 go test ./harness/px4sim.
func TestREADMEFidelityTable(t *testing.T) {
	root, err := workspace.Root()
	if err != nil {
		t.Fatal(err)
	}
	defined := map[string]bool{}
	var b strings.Builder
	b.WriteString("| Fact (PX4 v1.16.0) | `px4sim` does | Pinned by |\n| --- | --- | --- |\n")
	for _, f := range fidelityFacts {
		var cites []string
		for _, name := range f.tests {
			pkg, _, ok := strings.Cut(name, ".")
			if !ok {
				t.Fatalf("fact %d: test %q is not package.TestName", f.n, name)
			}
			if _, seen := defined[pkg]; !seen {
				dir := filepath.Join(root, "harness", pkg)
				if _, err := os.Stat(dir); err != nil {
					dir = filepath.Join(root, "sut", pkg) // the gateway's side of a fact
				}
				for _, fn := range testFuncs(t, dir) {
					defined[pkg+"."+fn] = true
				}
				defined[pkg] = true
			}
			if !defined[name] {
				t.Errorf("fact %d cites %s, which neither harness/%s nor sut/%s defines", f.n, name, pkg, pkg)
			}
			cites = append(cites, "`"+name+"`")
		}
		fmt.Fprintf(&b, "| %d. %s | %s | %s |\n", f.n, escapeCell(f.fact), escapeCell(f.simulator), strings.Join(cites, ", "))
	}
	readmesection.Check(t, "px4-fidelity-table", b.String(), "./harness/px4sim")
}

// testFuncs lists the Test functions in dir's _test.go files.
func testFuncs(t *testing.T, dir string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*_test.go"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no test files in %s: %v", dir, err)
	}
	var out []string
	fset := token.NewFileSet()
	for _, file := range files {
		f, err := parser.ParseFile(fset, file, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			if fn, ok := d.(*ast.FuncDecl); ok && fn.Recv == nil && strings.HasPrefix(fn.Name.Name, "Test") {
				out = append(out, fn.Name.Name)
			}
		}
	}
	return out
}

// escapeCell makes text safe in a Markdown table cell.
func escapeCell(s string) string { return strings.ReplaceAll(s, "|", `\|`) }
