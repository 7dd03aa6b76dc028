package runreport

import (
	"fmt"
	"strings"
	"time"
)

// The overview's geometry, in SVG user units.
const (
	axisWidth  = 1000
	axisLeft   = 96 // lane names
	axisRight  = 14
	laneHeight = 22
	axisTop    = 6
	axisBottom = 22 // tick labels
)

// axisView is a timeline's overview: a lane per source, a mark per
// event, on one time axis.
type axisView struct {
	Width, Height int
	Lanes         []laneView
	Marks         []markView
	Ticks         []tickView
}

type laneView struct {
	Name, Class string
	Y, TextY    int
}

type markView struct {
	X, Y          float64
	Lane, Class   string
	Level, Row    string
	Title         string
	Failure       bool
	DiamondPoints string
	Radius        float64
}

type tickView struct {
	X     float64
	Label string
}

// laneClass is a lane's CSS class (lane names have spaces).
func laneClass(lane string) string { return "lane-" + strings.ReplaceAll(lane, " ", "-") }

// rowID anchors an event's row.
func rowID(tl *SpecTimeline, i int) string { return fmt.Sprintf("%s-e%d", tl.ID, i) }

// axis lays out tl's overview.
func (tl *SpecTimeline) axis() axisView {
	a := axisView{Width: axisWidth}
	laneY := map[string]int{}
	for i, l := range tl.Lanes {
		y := axisTop + i*laneHeight
		laneY[l] = y
		a.Lanes = append(a.Lanes, laneView{Name: l, Class: laneClass(l), Y: y, TextY: y + laneHeight/2 + 4})
	}
	plot := float64(axisWidth - axisLeft - axisRight)
	total := tl.Duration()
	x := func(d time.Duration) float64 {
		if total <= 0 {
			return axisLeft
		}
		return axisLeft + plot*float64(d)/float64(total)
	}
	bottom := axisTop + len(tl.Lanes)*laneHeight
	a.Height = bottom + axisBottom
	for _, t := range ticks(total) {
		a.Ticks = append(a.Ticks, tickView{X: x(t), Label: offsetLabel(t)})
	}
	for i, e := range tl.Events {
		m := markView{X: x(e.Offset), Y: float64(laneY[e.Lane] + laneHeight/2), Lane: e.Lane, Class: laneClass(e.Lane),
			Level: levelOf(e.Level), Row: rowID(tl, i), Title: offsetLabel(e.Offset) + " " + e.Text, Radius: 4.5}
		if e.Lane == LaneFailure {
			m.Failure = true
			r := 7.0
			m.DiamondPoints = fmt.Sprintf("%.1f,%.1f %.1f,%.1f %.1f,%.1f %.1f,%.1f", m.X, m.Y-r, m.X+r, m.Y, m.X, m.Y+r, m.X-r, m.Y)
		}
		a.Marks = append(a.Marks, m)
	}
	return a
}

func levelOf(l string) string {
	if l == "" {
		return "info"
	}
	return l
}

// ticks are round offsets along an axis of length total: about six.
func ticks(total time.Duration) []time.Duration {
	if total <= 0 {
		return []time.Duration{0}
	}
	steps := []time.Duration{100 * time.Millisecond, 250 * time.Millisecond, 500 * time.Millisecond, time.Second, 2 * time.Second,
		5 * time.Second, 10 * time.Second, 15 * time.Second, 30 * time.Second, time.Minute, 2 * time.Minute, 5 * time.Minute, 10 * time.Minute}
	step := steps[len(steps)-1]
	for _, s := range steps {
		if total/s <= 6 {
			step = s
			break
		}
	}
	var out []time.Duration
	for t := time.Duration(0); t <= total; t += step {
		out = append(out, t)
	}
	return out
}

// offsetLabel writes an offset from the spec's start: +1.250s, +1m05s.
func offsetLabel(d time.Duration) string {
	sign := "+"
	if d < 0 {
		sign, d = "−", -d
	}
	if d < time.Minute {
		return fmt.Sprintf("%s%.3fs", sign, d.Seconds())
	}
	return sign + d.Round(time.Second).String()
}
