package benchtrend

import (
	"math"
	"testing"
)

func load(t *testing.T) (Results, Results, Targets) {
	t.Helper()
	before, err := ReadFile("testdata/before.txt")
	if err != nil {
		t.Fatal(err)
	}
	after, err := ReadFile("testdata/after.txt")
	if err != nil {
		t.Fatal(err)
	}
	tg, err := LoadTargets("testdata/targets.txt")
	if err != nil {
		t.Fatal(err)
	}
	return before, after, tg
}

func row(t *testing.T, rows []Row, bench, unit string) Row {
	t.Helper()
	for _, r := range rows {
		if r.Benchmark == bench && r.Unit == unit {
			return r
		}
	}
	t.Fatalf("no row for %s %s", bench, unit)
	return Row{}
}

func TestReadKeepsEveryFigureUnderItsOwnUnit(t *testing.T) {
	before, _, _ := load(t)
	if v := before[Key{"DeployLatency100", "deploy-p99-ms"}]; len(v) != 1 || v[0] != 226 {
		t.Errorf("deploy-p99-ms: %v", v)
	}
	if v := before[Key{"HostCall/compiled/guest-to-host", "ns/op"}]; len(v) != 1 || v[0] != 70 {
		t.Errorf("a sub-benchmark's ns/op, untidied: %v (keys %v)", v, before.Keys())
	}
}

// Two result files: a figure twice as bad is flagged; one 8% worse, within
// the 50% noise, is not; a figure without a direction is never judged.
func TestARegressionBeyondTheNoiseIsFlaggedAndOneWithinItIsNot(t *testing.T) {
	before, after, tg := load(t)
	rows := Compare(after, []Run{{ID: "before", Results: before}}, tg)

	p99 := row(t, rows, "DeployLatency100", "deploy-p99-ms")
	if !p99.Regressed || p99.Improved || math.Abs(p99.Ratio-460.0/226) > 1e-9 {
		t.Errorf("deploy p99 226 → 460 ms: regressed=%v ratio=%v", p99.Regressed, p99.Ratio)
	}
	if p99.Testable {
		t.Error("one value against one cannot be tested for significance")
	}
	if !p99.Target.Met(p99.Center) {
		t.Error("460 ms meets the 1000 ms target")
	}
	within := row(t, rows, "Enrollment100", "enrol-p99-ms")
	if within.Regressed || within.Improved {
		t.Errorf("enrol p99 1420 → 1600 ms (+13%%) is within 50%% noise: regressed=%v", within.Regressed)
	}
	if within.Target.Met(within.Center) {
		t.Error("1600 ms does not meet the 100 ms target")
	}
	phase := row(t, rows, "DeployLatency100", "app-phase-running-ms")
	if phase.Regressed {
		t.Error("2300 → 2400 ms flagged")
	}
	if r := row(t, rows, "DeployLatency100", "deploy-max-ms"); r.Regressed || r.HasTarget {
		t.Errorf("a figure with no line in the targets is shown, never judged: %+v", r)
	}
	if r := row(t, rows, "Enrollment100", "refused"); !r.Regressed || !math.IsInf(r.Ratio, 1) {
		t.Errorf("refused 0 → 2 is a regression whatever the noise: %+v", r)
	}
	// The per-line noise (20%) applies, and getting faster is flagged as
	// an improvement, never a regression.
	if r := row(t, rows, "HostCall/compiled/guest-to-host", "ns/op"); r.Regressed || !r.Improved || r.Noise != 0.2 {
		t.Errorf("70 → 35 ns/op: %+v", r)
	}
	// With the files the other way round, the deploy p99 improved.
	rows = Compare(before, []Run{{ID: "after", Results: after}}, tg)
	if r := row(t, rows, "DeployLatency100", "deploy-p99-ms"); r.Regressed || !r.Improved {
		t.Errorf("460 → 226 ms: %+v", r)
	}
}

// Where both samples are big enough for the U test to speak, a ratio
// beyond the noise is not enough: the difference must be significant.
func TestWithEnoughSamplesARegressionMustBeSignificant(t *testing.T) {
	tg := Targets{Noise: 0.1, ByKey: map[Key]Target{{"X", "ms"}: {Key: Key{"X", "ms"}, Better: Lower}}}
	k := Key{"X", "ms"}
	old := Results{k: {100, 101, 99, 100, 102}}
	// Median 12% worse, but spread over the old values: not significant.
	noisy := Results{k: {60, 112, 150, 95, 140}}
	r := Compare(noisy, []Run{{Results: old}}, tg)[0]
	if !r.Testable || r.P < Alpha || r.Regressed {
		t.Errorf("noisy: testable=%v p=%.3f regressed=%v", r.Testable, r.P, r.Regressed)
	}
	clear := Results{k: {130, 131, 129, 133, 132}}
	r = Compare(clear, []Run{{Results: old}}, tg)[0]
	if !r.Testable || r.P >= Alpha || !r.Regressed {
		t.Errorf("clearly worse: testable=%v p=%.3f regressed=%v", r.Testable, r.P, r.Regressed)
	}
}

func TestMinP(t *testing.T) {
	for _, c := range []struct {
		n1, n2 int
		want   float64
	}{{1, 5, 2.0 / 6}, {3, 3, 0.1}, {4, 4, 2.0 / 70}, {1, 1, 1}} {
		if got := minP(c.n1, c.n2); math.Abs(got-c.want) > 1e-12 {
			t.Errorf("minP(%d,%d) = %v, want %v", c.n1, c.n2, got, c.want)
		}
	}
}

func TestTargetsRefuseAnUnstatedThresholdOrABadLine(t *testing.T) {
	for _, bad := range []string{
		"X ms lower 1\n",                          // no noise line
		"noise 50%\nX ms sideways 1\n",            // direction
		"noise 50%\nX ms lower one\n",             // target
		"noise 50%\nX ms lower 1 fifty\n",         // noise
		"noise 50%\nX ms lower 1\nX ms lower 2\n", // duplicate
	} {
		if _, err := ParseTargets([]byte(bad)); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}

func TestTheCommittedTargetsParse(t *testing.T) {
	if _, err := LoadTargets("../../" + TargetsFile); err != nil {
		t.Fatal(err)
	}
}
