package runreport

import (
	"embed"
	"fmt"
	"html/template"
	"io"
	"math"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/wasmbed/wasmbed/harness/benchtrend"
	"github.com/wasmbed/wasmbed/harness/flakes"
)

//go:embed assets
var assets embed.FS

var page = template.Must(template.New("report.html").Funcs(template.FuncMap{
	"dur":       durLabel,
	"offset":    offsetLabel,
	"clock":     func(t time.Time) string { return t.Format("15:04:05.000") },
	"date":      func(t time.Time) string { return t.Format(time.DateOnly) },
	"pct":       func(f float64) string { return strconv.FormatFloat(100*f, 'f', 0, 64) + "%" },
	"num":       numLabel,
	"change":    changeLabel,
	"verdict":   benchVerdict,
	"vclass":    verdictClass,
	"runs":      func(n int) string { return map[bool]string{true: "1 run", false: strconv.Itoa(n) + " runs"}[n == 1] },
	"spark":     spark,
	"axis":      func(tl SpecTimeline) axisView { return tl.axis() },
	"rowID":     rowID,
	"laneClass": laneClass,
	"laneVar":   laneVar,
	"level":     levelOf,
	"bytes":     bytesLabel,
}).ParseFS(assets, "assets/report.html"))

// view is what the template gets.
type view struct {
	Run       *Run
	CSS       template.CSS
	JS        template.JS
	Attention []attention
	// Trouble are the stages that failed or errored without specs to
	// show for it (fuzz, bench, the browser check).
	Trouble     []Stage
	BenchGroups []benchGroup
	// Flaky is the status, for comparisons in the template.
	Flaky     flakes.Status
	AxisWidth int
	// BenchBaseline and TargetsName describe the comparison.
	BenchBaseline string
	TargetsName   string
}

// TickBottom and TickLabelY place the axis' ticks below the lanes.
func (view) TickBottom(tl SpecTimeline) int { return axisTop + len(tl.Lanes)*laneHeight }

// TickLabelY is the baseline of the tick labels.
func (v view) TickLabelY(tl SpecTimeline) int { return v.TickBottom(tl) + 15 }

// attention is a failed or flaky spec, first in the page.
type attention struct {
	SpecRow
	Badge        string
	FirstFailure string
}

// WriteHTML writes the page.
func WriteHTML(w io.Writer, r *Run) error {
	css, err := assets.ReadFile("assets/report.css")
	if err != nil {
		return err
	}
	js, err := assets.ReadFile("assets/report.js")
	if err != nil {
		return err
	}
	v := view{Run: r, CSS: template.CSS(css), JS: template.JS(js), Flaky: flakes.Flaky, AxisWidth: axisWidth}
	for _, s := range r.Specs {
		if s.TimelineID == "" {
			continue
		}
		a := attention{SpecRow: s, Badge: string(s.Status)}
		if s.Quarantine != nil {
			a.Badge = "quarantined"
		}
		if n := len(s.Failures); n > 0 {
			a.FirstFailure = firstLines(s.Failures[n-1].Message, 6)
		}
		v.Attention = append(v.Attention, a)
	}
	for _, st := range r.Stages {
		if (st.Status == StageFailed || st.Status == StageError) && len(st.Reports) == 0 {
			v.Trouble = append(v.Trouble, st)
		}
	}
	if r.Bench != nil {
		v.BenchGroups = r.Bench.groups()
		v.BenchBaseline = r.Bench.shortBaseline()
		v.TargetsName = r.Bench.Targets
		if strings.HasSuffix(filepath.ToSlash(r.Bench.Targets), benchtrend.TargetsFile) {
			v.TargetsName = benchtrend.TargetsFile
		}
	}
	return page.Execute(w, v)
}

func firstLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = append(lines[:n], "…")
	}
	return strings.Join(lines, "\n")
}

// laneVar is the CSS variable suffix of a lane's colour.
func laneVar(lane string) string {
	switch lane {
	case LaneSUT:
		return "sut"
	case LaneOther:
		return "other"
	}
	return strings.ToLower(lane)
}

func durLabel(d time.Duration) string {
	switch {
	case d < time.Second:
		return d.Round(time.Millisecond).String()
	case d < time.Minute:
		return fmt.Sprintf("%.1fs", d.Seconds())
	}
	return d.Round(time.Second).String()
}

func numLabel(v float64) string {
	a := math.Abs(v)
	switch {
	case math.IsNaN(v):
		return "—"
	case math.IsInf(v, 0):
		return "∞"
	case a >= 1000:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case a >= 10:
		return strings.TrimSuffix(strconv.FormatFloat(v, 'f', 1, 64), ".0")
	}
	return strconv.FormatFloat(v, 'g', 3, 64)
}

func changeLabel(r benchtrend.Row) string {
	switch {
	case !r.HasBase:
		return "new"
	case math.IsInf(r.Ratio, 1):
		return "from 0"
	case math.IsNaN(r.Ratio):
		return "—"
	}
	return fmt.Sprintf("%+.1f%%", 100*(r.Ratio-1))
}

// benchVerdict is a row's word: regressed, improved, within noise, new
// (no baseline yet) or not judged (no direction in the targets).
func benchVerdict(r benchtrend.Row) string {
	switch {
	case r.Regressed:
		return "regressed"
	case r.Improved:
		return "improved"
	case !r.HasTarget:
		return "not judged"
	case !r.HasBase:
		return "new"
	}
	return "within noise"
}

// verdictClass is the badge's class for a verdict.
func verdictClass(v string) string {
	switch v {
	case "regressed", "improved":
		return v
	case "within noise":
		return "passed"
	}
	return "none"
}

// spark draws a figure's trend over the runs, this run last.
func spark(r benchtrend.Row) template.HTML {
	vs := r.Trend
	if len(vs) == 0 {
		return ""
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, v := range vs {
		if !math.IsNaN(v) && !math.IsInf(v, 0) {
			lo, hi = math.Min(lo, v), math.Max(hi, v)
		}
	}
	if math.IsInf(lo, 0) {
		return ""
	}
	const w, h, pad = 110.0, 26.0, 3.0
	y := func(v float64) float64 {
		if hi == lo {
			return h / 2
		}
		return h - pad - (h-2*pad)*(v-lo)/(hi-lo)
	}
	x := func(i int) float64 {
		if len(vs) == 1 {
			return w - pad
		}
		return pad + (w-2*pad)*float64(i)/float64(len(vs)-1)
	}
	var pts []string
	for i, v := range vs {
		pts = append(pts, fmt.Sprintf("%.1f,%.1f", x(i), y(v)))
	}
	class := "spark"
	if r.Regressed {
		class += " regressed"
	}
	last := len(vs) - 1
	title := make([]string, len(vs))
	for i, v := range vs {
		title[i] = numLabel(v)
	}
	return template.HTML(fmt.Sprintf(`<svg class="%s" viewBox="0 0 %.0f %.0f"><title>%s</title><polyline points="%s"></polyline><circle cx="%.1f" cy="%.1f" r="2.6"></circle></svg>`,
		class, w, h, template.HTMLEscapeString(strings.Join(title, " → ")), strings.Join(pts, " "), x(last), y(vs[last])))
}

func bytesLabel(n int64) string {
	switch {
	case n < 1024:
		return fmt.Sprintf("%d B", n)
	case n < 1024*1024:
		return fmt.Sprintf("%.1f KiB", float64(n)/1024)
	}
	return fmt.Sprintf("%.1f MiB", float64(n)/1024/1024)
}
