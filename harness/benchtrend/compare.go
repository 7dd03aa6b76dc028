package benchtrend

import (
	"math"

	"golang.org/x/perf/benchmath"
)

// Alpha is the significance level a regression must reach where the
// samples are large enough for the test to reach it at all.
const Alpha = 0.05

// Row compares one figure with its baseline and its target.
type Row struct {
	Key
	// Values are this run's values; Center is their median.
	Values []float64
	Center float64
	// Baseline is every value of the previous runs compared with (BaseRuns
	// of them), BaseCenter their median; HasBase is false for a new figure.
	Baseline   []float64
	BaseCenter float64
	BaseRuns   int
	HasBase    bool
	// Ratio is Center/BaseCenter (NaN without a base, +Inf over a base
	// of 0).
	Ratio float64
	// P is the Mann-Whitney U test's p-value, and Testable whether the
	// samples are large enough for it to fall below Alpha at all.
	P        float64
	Testable bool
	// Target is the committed line for the figure, if any.
	Target    Target
	HasTarget bool
	// Noise is the threshold applied.
	Noise float64
	// Regressed: worse than the baseline beyond the noise (and, where
	// Testable, significantly so). Improved: better beyond it.
	Regressed, Improved bool
	// Trend is the figure's median in each earlier run, oldest first,
	// then this run's: what the report draws.
	Trend []float64
}

// Run is one earlier run's results, oldest first.
type Run struct {
	ID      string
	Results Results
}

// Compare compares cur with the last runs (oldest first; the baseline is
// every value they hold) and the targets.
func Compare(cur Results, previous []Run, t Targets) []Row {
	var rows []Row
	for _, k := range cur.Keys() {
		r := Row{Key: k, Values: cur[k], Center: median(cur[k]), Ratio: math.NaN(), P: math.NaN(), Noise: t.Noise}
		for _, p := range previous {
			if vs, ok := p.Results[k]; ok {
				r.Baseline = append(r.Baseline, vs...)
				r.BaseRuns++
				r.Trend = append(r.Trend, median(vs))
			}
		}
		r.Trend = append(r.Trend, r.Center)
		r.Target, r.HasTarget = t.ByKey[k]
		if r.HasTarget && r.Target.Noise > 0 {
			r.Noise = r.Target.Noise
		}
		if len(r.Baseline) > 0 {
			r.HasBase = true
			r.BaseCenter = median(r.Baseline)
			r.Ratio = r.Center / r.BaseCenter
			if r.BaseCenter == 0 {
				r.Ratio = math.NaN()
				if r.Center != 0 {
					r.Ratio = math.Inf(1)
				}
			}
			r.Testable = minP(len(r.Values), len(r.Baseline)) < Alpha
			if r.Testable {
				th := benchmath.DefaultThresholds
				c := benchmath.AssumeNothing.Compare(benchmath.NewSample(r.Baseline, &th), benchmath.NewSample(r.Values, &th))
				r.P = c.P
			}
			r.judge()
		}
		rows = append(rows, r)
	}
	return rows
}

// judge sets Regressed and Improved.
func (r *Row) judge() {
	if !r.HasTarget || r.Target.Better == Unknown {
		return // no direction: shown, never judged
	}
	significant := !r.Testable || r.P < Alpha
	worse, better := r.Center > r.BaseCenter, r.Center < r.BaseCenter
	if r.Target.Better == Higher {
		worse, better = better, worse
	}
	beyond := false
	switch {
	case r.BaseCenter == 0:
		beyond = r.Center != 0 // from nothing to something: no ratio is "within noise"
	default:
		change := math.Abs(r.Center-r.BaseCenter) / math.Abs(r.BaseCenter)
		beyond = change > r.Noise
	}
	r.Regressed = worse && beyond && significant
	r.Improved = better && beyond && significant
}

// median of vs (NaN for none).
func median(vs []float64) float64 {
	if len(vs) == 0 {
		return math.NaN()
	}
	th := benchmath.DefaultThresholds
	return benchmath.AssumeNothing.Summary(benchmath.NewSample(vs, &th), 0.95).Center
}

// minP is the smallest two-sided p-value the Mann-Whitney U test can give
// for samples of n1 and n2 values: when the two do not overlap at all,
// 2/C(n1+n2, n1).
func minP(n1, n2 int) float64 {
	if n1 == 0 || n2 == 0 {
		return 1
	}
	c := 1.0
	for i := 1; i <= n1; i++ {
		c = c * float64(n2+i) / float64(i)
	}
	return math.Min(1, 2/c)
}
