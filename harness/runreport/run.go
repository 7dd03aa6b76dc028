package runreport

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/onsi/ginkgo/v2/types"

	"github.com/wasmbed/wasmbed/harness/flakes"
	"github.com/wasmbed/wasmbed/harness/summary"
)

// Options say where a report finds what is not in the run folder.
type Options struct {
	// Quarantine is the quarantine list (scenarios/quarantine.txt).
	Quarantine string
	// Targets is the benchmark targets file (harness/bench/targets.txt).
	Targets string
	// History is reports/history.json; "" leaves history out.
	History string
	// UpdateHistory records this run in the history before the rates
	// are computed.
	UpdateHistory bool
	// RateRuns is how many runs a flake rate covers.
	RateRuns int
	// BenchDir is reports/bench; "" leaves benchmarks out.
	BenchDir string
	// BaselineRuns is how many earlier benchmark runs make the baseline.
	BaselineRuns int
	// Now stamps the report.
	Now time.Time
}

// SpecRow is a spec in the summary.
type SpecRow struct {
	flakes.Spec
	// Stage is the stage that ran it.
	Stage string
	// Quarantine is set for a quarantined spec.
	Quarantine *flakes.Quarantined
	// Rate is its record over the last runs.
	Rate flakes.Rate
	// TimelineID anchors its timeline, for a failed or flaky spec.
	TimelineID string
}

// LabelGroup is the specs carrying one label.
type LabelGroup struct {
	Label string
	// Specs are the label's specs, what needs reading first.
	Specs []SpecRow
	// Counts by status.
	Passed, Flaky, Failed, Skipped, Quarantined int
}

// Run is everything the report shows.
type Run struct {
	ID        string
	Dir       string
	Generated time.Time
	Start     time.Time
	End       time.Time
	// Nightly is set when stages.json was found.
	Nightly bool
	Stages  []Stage
	Specs   []SpecRow
	Labels  []LabelGroup
	Verdict flakes.Verdict
	// Counts over all specs.
	Passed, Flaky, Failed, Skipped, Quarantined int
	Timelines                                   []SpecTimeline
	Bench                                       *BenchSection
	RateRuns                                    int
	// Reports are the Ginkgo reports read, relative to the run folder.
	Reports []string
	// Notes are warnings for the reader: an unused quarantine entry, a
	// file that did not read.
	Notes []string
	// Pass is the gate.
	Pass bool
	// ginkgo holds the reports read, for the text summary.
	ginkgo []types.Report
}

// WallTime is the run's length.
func (r *Run) WallTime() time.Duration {
	if r.Start.IsZero() || r.End.IsZero() {
		return 0
	}
	return r.End.Sub(r.Start)
}

// Build reads a run folder.
func Build(dir string, o Options) (*Run, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
	if o.RateRuns == 0 {
		o.RateRuns = 10
	}
	r := &Run{ID: filepath.Base(dir), Dir: dir, Generated: o.Now, RateRuns: o.RateRuns}
	stages, nightly, err := ReadStages(dir)
	if err != nil {
		return nil, err
	}
	if nightly {
		r.Nightly, r.Start, r.End, r.Stages = true, stages.Start, stages.End, stages.Stages
		if r.End.IsZero() {
			r.End = o.Now
		}
	} else {
		// make run, make smoke: one Ginkgo report.
		r.Stages = []Stage{{Name: "scenarios", Status: StageRan, Reports: []string{"report.json"}}}
	}
	q, err := flakes.LoadQuarantine(o.Quarantine)
	if err != nil {
		return nil, err
	}

	// The specs of every stage's reports.
	var all []flakes.Spec
	for i := range r.Stages {
		st := &r.Stages[i]
		if st.Status != StageRan {
			continue
		}
		var specs []flakes.Spec
		for _, rep := range st.Reports {
			reports, err := summary.Load(filepath.Join(dir, rep))
			if err != nil {
				st.Status, st.Reason = StageFailed, fmt.Sprintf("no Ginkgo report (%v): the suite did not build or was killed, so nothing was checked; see its log", err)
				break
			}
			r.Reports = append(r.Reports, rep)
			r.ginkgo = append(r.ginkgo, reports...)
			if !nightly && len(reports) > 0 {
				r.Start, r.End = reports[0].StartTime, reports[0].EndTime
			}
			for _, s := range flakes.Classify(reports) {
				specs = append(specs, s)
				row := SpecRow{Spec: s, Stage: st.Name}
				if e, ok := q.Match(s.Name); ok {
					row.Quarantine = &e
				}
				if s.Status == flakes.Failed || s.Status == flakes.Flaky || s.Status == flakes.Interrupted {
					row.TimelineID = fmt.Sprintf("t%d", len(r.Timelines)+1)
					r.Timelines = append(r.Timelines, buildTimeline(dir, row.TimelineID, s, rep))
				}
				r.Specs = append(r.Specs, row)
			}
		}
		if st.Status == StageFailed {
			continue
		}
		v := flakes.Judge(specs, q)
		switch {
		case !v.Pass():
			st.Status = StageFailed
			st.Reason = fmt.Sprintf("%d spec(s) failed", len(v.Failed))
		case len(v.Flaky) > 0:
			st.Status = StageFlaky
			st.Reason = fmt.Sprintf("%d spec(s) flaky: failed, then passed on a re-run", len(v.Flaky))
		default:
			st.Status = StagePassed
		}
		if len(v.Quarantined) > 0 {
			st.Reason = strings.TrimPrefix(st.Reason+fmt.Sprintf("; %d quarantined spec(s) failed or flaked", len(v.Quarantined)), "; ")
		}
		all = append(all, specs...)
	}
	r.Verdict = flakes.Judge(all, q)
	var names []string
	for _, s := range all {
		names = append(names, s.Name)
	}
	for _, e := range q.Unused(names) {
		r.Notes = append(r.Notes, fmt.Sprintf("%s line %d (%s) matches no spec of this run: remove it if the spec is gone", o.Quarantine, e.Line, e.Pattern))
	}

	if o.History != "" {
		h, err := flakes.LoadHistory(o.History)
		if err != nil {
			r.Notes = append(r.Notes, fmt.Sprintf("history: %v (flake rates left out)", err))
		} else {
			if o.UpdateHistory && len(all) > 0 {
				at := r.Start
				if at.IsZero() {
					at = o.Now
				}
				h.Add(r.ID, at, all, flakes.DefaultKeep)
				if err := os.MkdirAll(filepath.Dir(o.History), 0o755); err == nil {
					if err := h.Save(o.History); err != nil {
						r.Notes = append(r.Notes, fmt.Sprintf("history: %v", err))
					}
				}
			}
			for i := range r.Specs {
				r.Specs[i].Rate = h.Rate(r.Specs[i].Name, o.RateRuns)
			}
		}
	}

	if o.BenchDir != "" {
		b, err := buildBench(o.BenchDir, r.ID, o.Targets, o.BaselineRuns)
		if err != nil {
			r.Notes = append(r.Notes, fmt.Sprintf("benchmarks: %v", err))
		}
		if b != nil {
			r.Bench = b
			if st := r.stage("bench"); st != nil && st.Status == StagePassed && len(b.Regressions()) > 0 {
				st.Status = StageFailed
				st.Reason = fmt.Sprintf("%d figure(s) regressed beyond the noise threshold", len(b.Regressions()))
			}
		}
	}

	r.count()
	r.Pass = r.Verdict.Pass()
	for _, st := range r.Stages {
		if st.Status == StageFailed {
			r.Pass = false
		}
	}
	return r, nil
}

func (r *Run) stage(name string) *Stage {
	for i := range r.Stages {
		if r.Stages[i].Name == name {
			return &r.Stages[i]
		}
	}
	return nil
}

// count fills the totals and the label groups. A spec run by two stages
// counts in both, as it ran twice.
func (r *Run) count() {
	groups := map[string]*LabelGroup{}
	tally := func(g *LabelGroup, s SpecRow) {
		switch {
		case s.Quarantine != nil && (s.Status == flakes.Failed || s.Status == flakes.Flaky):
			g.Quarantined++
		case s.Status == flakes.Passed:
			g.Passed++
		case s.Status == flakes.Flaky:
			g.Flaky++
		case s.Status == flakes.Failed, s.Status == flakes.Interrupted:
			g.Failed++
		default:
			g.Skipped++
		}
	}
	var total LabelGroup
	for _, s := range r.Specs {
		tally(&total, s)
		labels := s.Labels
		if len(labels) == 0 {
			labels = []string{"(no label)"}
		}
		for _, l := range labels {
			g := groups[l]
			if g == nil {
				g = &LabelGroup{Label: l}
				groups[l] = g
			}
			g.Specs = append(g.Specs, s)
			tally(g, s)
		}
	}
	r.Passed, r.Flaky, r.Failed, r.Skipped, r.Quarantined = total.Passed, total.Flaky, total.Failed, total.Skipped, total.Quarantined
	for _, g := range groups {
		sort.SliceStable(g.Specs, func(i, j int) bool {
			a, b := statusOrder(g.Specs[i]), statusOrder(g.Specs[j])
			if a != b {
				return a < b
			}
			return g.Specs[i].Name < g.Specs[j].Name
		})
		r.Labels = append(r.Labels, *g)
	}
	sort.Slice(r.Labels, func(i, j int) bool {
		a, b := r.Labels[i], r.Labels[j]
		if (a.Failed > 0) != (b.Failed > 0) {
			return a.Failed > 0
		}
		return a.Label < b.Label
	})
}

// Notable are the specs that did not simply pass; PassedSpecs the rest.
func (g LabelGroup) Notable() []SpecRow {
	var out []SpecRow
	for _, s := range g.Specs {
		if s.Status != flakes.Passed {
			out = append(out, s)
		}
	}
	return out
}

// PassedSpecs are the specs that passed at the first attempt.
func (g LabelGroup) PassedSpecs() []SpecRow {
	var out []SpecRow
	for _, s := range g.Specs {
		if s.Status == flakes.Passed {
			out = append(out, s)
		}
	}
	return out
}

// statusOrder puts what needs reading first.
func statusOrder(s SpecRow) int {
	switch s.Status {
	case flakes.Failed, flakes.Interrupted:
		if s.Quarantine != nil {
			return 2
		}
		return 0
	case flakes.Flaky:
		return 1
	case flakes.Passed:
		return 3
	}
	return 4
}
