package runreport

import (
	"bufio"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/onsi/ginkgo/v2/types"

	"github.com/wasmbed/wasmbed/harness/chaos"
	"github.com/wasmbed/wasmbed/harness/flakes"
	"github.com/wasmbed/wasmbed/harness/timeline"
)

// Lanes of the timeline, top to bottom: each event goes in one.
const (
	LaneSteps   = "steps"
	LaneFailure = "failure"
	LaneFaults  = "faults"
	LanePhases  = "phases"
	LaneSUT     = "SUT logs"
	LaneDevices = "devices"
	LaneMAVLink = "MAVLink"
	LaneOther   = "other logs"
)

// Lanes lists the lanes in display order.
var Lanes = []string{LaneSteps, LaneFailure, LaneFaults, LanePhases, LaneSUT, LaneDevices, LaneMAVLink, LaneOther}

// maxPerFile bounds the events one file contributes; the latest are kept,
// the nearest to a failure.
const maxPerFile = 300

// Event is a timeline event placed on its spec's axis.
type Event struct {
	timeline.Event
	Lane string
	// Offset is the time since the spec started.
	Offset time.Duration
	// Href is the file it came from, relative to the run folder; File is
	// the name shown.
	Href, File string
	// Detail is the full text where Text is a first line (a failure).
	Detail string
}

// Artifact is a file of a spec's artifact folder.
type Artifact struct {
	Name, Href string
	Size       int64
}

// SpecTimeline is a failed or flaky spec's events on one axis.
type SpecTimeline struct {
	// ID anchors the timeline in the page.
	ID     string
	Name   string
	Status flakes.Status
	Start  time.Time
	End    time.Time
	Events []Event
	// Lanes are the lanes that have events, in display order.
	Lanes     []string
	Artifacts []Artifact
	Failures  []flakes.Failure
	// Notes say what could not be read.
	Notes []string
}

// Duration is the axis' length.
func (t SpecTimeline) Duration() time.Duration { return t.End.Sub(t.Start) }

// buildTimeline gathers a spec's events: its own from Ginkgo's report
// (linked to reportHref), and those of every artifact folder the spec
// kept (one per failed attempt).
func buildTimeline(runDir, id string, s flakes.Spec, reportHref string) SpecTimeline {
	sr := s.Report
	tl := SpecTimeline{ID: id, Name: s.Name, Status: s.Status, Start: sr.StartTime, End: sr.EndTime, Failures: s.Failures}
	add := func(e Event) { tl.Events = append(tl.Events, e) }
	fromReport := func(lane string, te timeline.Event, detail string) {
		add(Event{Event: te, Lane: lane, Href: reportHref, File: filepath.Base(reportHref), Detail: detail})
	}

	fromReport(LaneSteps, timeline.Event{Time: sr.StartTime, Source: "ginkgo", Kind: "start", Text: "spec starts"}, "")
	for _, ev := range sr.SpecEvents {
		at := ev.TimelineLocation.Time
		switch {
		case ev.SpecEventType.Is(types.SpecEventByStart):
			fromReport(LaneSteps, timeline.Event{Time: at, Source: "ginkgo", Kind: "By", Subject: shortLocation(ev.CodeLocation.String()), Text: ev.Message}, "")
		case ev.SpecEventType.Is(types.SpecEventSpecRetry):
			fromReport(LaneSteps, timeline.Event{Time: at, Source: "ginkgo", Kind: "retry", Level: timeline.Warn,
				Text: fmt.Sprintf("attempt %d starts: the same seed, a fresh namespace", ev.Attempt+1)}, "")
		case ev.SpecEventType.Is(types.SpecEventSpecRepeat):
			fromReport(LaneSteps, timeline.Event{Time: at, Source: "ginkgo", Kind: "repeat", Text: fmt.Sprintf("repetition %d starts", ev.Attempt+1)}, "")
		}
	}
	for _, re := range sr.ReportEntries {
		if re.Name == "artifacts" {
			continue
		}
		fromReport(LaneSteps, timeline.Event{Time: re.Time, Source: "ginkgo", Kind: "note", Text: re.Name + ": " + re.StringRepresentation()}, "")
	}
	for _, f := range s.Failures {
		at := f.Time
		if at.IsZero() {
			at = sr.EndTime
		}
		fromReport(LaneFailure, timeline.Event{Time: at, Source: "ginkgo", Kind: f.State, Level: timeline.Error, Subject: shortLocation(f.Location),
			Text: fmt.Sprintf("attempt %d %s: %s", f.Attempt, f.State, headline(f.Message))}, f.Message)
	}
	fromReport(LaneSteps, timeline.Event{Time: sr.EndTime, Source: "ginkgo", Kind: "end", Text: "spec ends: " + string(s.Status)}, "")

	for _, dir := range artifactDirs(runDir, sr) {
		tl.gatherDir(runDir, dir)
	}

	// Keep what happened during the spec: a log may start before it (a
	// process reused from an earlier attempt's folder) and the cleanup
	// writes after it.
	from, to := tl.Start.Add(-2*time.Second), tl.End.Add(2*time.Second)
	kept := tl.Events[:0]
	for _, e := range tl.Events {
		if !e.Time.Before(from) && !e.Time.After(to) {
			kept = append(kept, e)
		}
	}
	tl.Events = kept
	sort.SliceStable(tl.Events, func(i, j int) bool { return tl.Events[i].Time.Before(tl.Events[j].Time) })
	seen := map[string]bool{}
	for i := range tl.Events {
		tl.Events[i].Offset = tl.Events[i].Time.Sub(tl.Start)
		seen[tl.Events[i].Lane] = true
	}
	for _, l := range Lanes {
		if seen[l] {
			tl.Lanes = append(tl.Lanes, l)
		}
	}
	return tl
}

// headline is a failure message on one line, whitespace collapsed, cut
// at 200 characters: Gomega's messages start "Expected" on a line of its
// own, so the first line alone says nothing.
func headline(msg string) string {
	s := strings.Join(strings.Fields(msg), " ")
	if r := []rune(s); len(r) > 200 {
		s = string(r[:200]) + "…"
	}
	return s
}

// shortLocation is file:line without the folders.
func shortLocation(loc string) string { return filepath.Base(loc) }

// artifactDirs are the folders the spec's attempts kept, from the
// "artifacts" report entries newEnv adds. The entry holds the path the
// run wrote; a run folder that was moved since (a downloaded CI artifact)
// is searched for the folder's last two elements (failed/<namespace>).
func artifactDirs(runDir string, sr types.SpecReport) []string {
	var out []string
	for _, re := range sr.ReportEntries {
		if re.Name != "artifacts" {
			continue
		}
		p := strings.TrimSpace(re.StringRepresentation())
		if st, err := os.Stat(p); err == nil && st.IsDir() {
			out = append(out, p)
			continue
		}
		alt := filepath.Join(runDir, filepath.Base(filepath.Dir(p)), filepath.Base(p))
		if st, err := os.Stat(alt); err == nil && st.IsDir() {
			out = append(out, alt)
		}
	}
	return out
}

// gatherDir reads every source in one artifact folder.
func (tl *SpecTimeline) gatherDir(runDir, dir string) {
	_ = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return nil
		}
		href := relHref(runDir, path)
		rel, _ := filepath.Rel(dir, path)
		tl.Artifacts = append(tl.Artifacts, Artifact{Name: filepath.Base(dir) + "/" + filepath.ToSlash(rel), Href: href, Size: info.Size()})
		events, err := readSource(path, rel, tl.Start)
		if err != nil {
			tl.Notes = append(tl.Notes, fmt.Sprintf("%s: %v", rel, err))
		}
		if len(events) > maxPerFile {
			tl.Notes = append(tl.Notes, fmt.Sprintf("%s: showing the last %d of %d events", rel, maxPerFile, len(events)))
			events = events[len(events)-maxPerFile:]
		}
		for _, e := range events {
			e.Href, e.File = href, filepath.ToSlash(rel)
			tl.Events = append(tl.Events, e)
		}
		return nil
	})
}

// relHref is path relative to the run folder, as a URL path.
func relHref(runDir, path string) string {
	rel, err := filepath.Rel(runDir, path)
	if err != nil || strings.HasPrefix(rel, "..") {
		return "file://" + filepath.ToSlash(path)
	}
	return filepath.ToSlash(rel)
}

// readSource reads the events of one file, by what the file is: a
// timeline journal, the chaos engine's journal, a QEMU data-line log, or
// a process log (SUT, device, QEMU console, container).
func readSource(path, rel string, day time.Time) ([]Event, error) {
	base := filepath.Base(path)
	switch {
	case strings.HasSuffix(base, timeline.Suffix):
		return readJournal(path)
	case base == chaos.JournalFile:
		return readChaos(filepath.Dir(path))
	case base == "dataline.log":
		return readLines(path, func(line string) (Event, bool) {
			at, level, text, ok := datalineEvent(line, day)
			lane := LaneDevices
			if text == "link cut" || text == "link restored" {
				lane = LaneFaults // the harness cut the serial line
			}
			return Event{Event: timeline.Event{Time: at, Source: "dataline", Subject: deviceOf(rel) + " serial line", Kind: "line", Level: level, Text: text}, Lane: lane}, ok
		})
	case strings.HasSuffix(base, ".log"):
		lane, subject := logLane(rel)
		return readLines(path, func(line string) (Event, bool) {
			if at, kind, level, text, ok := procMarker(line); ok {
				short := text
				if kind == "start" {
					short = "started " + filepath.Base(strings.Fields(strings.TrimPrefix(text, "started: "))[0])
				}
				return Event{Event: timeline.Event{Time: at, Source: "process", Subject: subject, Kind: kind, Level: level, Text: short}, Lane: lane, Detail: text}, true
			}
			at, slevel, text, ok := slogLine(line)
			if !ok {
				return Event{}, false
			}
			level, keep := slogLevel(slevel)
			return Event{Event: timeline.Event{Time: at, Source: "log", Subject: subject, Kind: strings.ToLower(slevel), Level: level, Text: text}, Lane: lane}, keep
		})
	}
	return nil, nil
}

// logLane says whose log a file is: the SUT's (gateway, controller), a
// device's (its process log, or a QEMU guest's console in the device's
// folder) or another process's.
func logLane(rel string) (lane, subject string) {
	base := strings.TrimSuffix(filepath.Base(rel), ".log")
	switch {
	case strings.HasPrefix(base, "gateway"), strings.HasPrefix(base, "controller"):
		return LaneSUT, base
	case strings.HasPrefix(base, "device-"):
		return LaneDevices, strings.TrimPrefix(base, "device-")
	case base == "console", base == "qemu":
		return LaneDevices, deviceOf(rel) + " " + base
	}
	return LaneOther, base
}

// deviceOf names the device whose folder rel is in (QEMU devices keep a
// folder each).
func deviceOf(rel string) string {
	d := filepath.Dir(rel)
	if d == "." {
		return "device"
	}
	return filepath.Base(d)
}

func readJournal(path string) ([]Event, error) {
	es, err := timeline.Read(path)
	out := make([]Event, 0, len(es))
	for _, e := range es {
		lane := LaneOther
		switch e.Source {
		case "faults":
			lane = LaneFaults
		case "phases":
			lane = LanePhases
		case "mavlink":
			lane = LaneMAVLink
		}
		out = append(out, Event{Event: e, Lane: lane})
	}
	return out, err
}

func readChaos(dir string) ([]Event, error) {
	es, err := chaos.ReadJournal(dir)
	out := make([]Event, 0, len(es))
	for _, e := range es {
		level := timeline.Info
		switch e.Event {
		case chaos.EventInject, chaos.EventFlapDown, chaos.EventUnsettled:
			level = timeline.Warn
		case chaos.EventViolation:
			level = timeline.Error
		}
		if e.Error != "" {
			level = timeline.Error
		}
		text := e.Event
		if e.Fault != nil {
			text += fmt.Sprintf(" fault %d", *e.Fault)
		}
		for _, part := range []string{e.Kind, e.Target, e.Resolved, e.Invariant, e.Error} {
			if part != "" {
				text += " " + part
			}
		}
		out = append(out, Event{Event: timeline.Event{Time: e.Time, Source: "chaos", Subject: e.Target, Kind: e.Event, Level: level,
			Text: "plan @" + e.Offset + ": " + text}, Lane: LaneFaults})
	}
	return out, err
}

// readLines feeds each line of path to parse and keeps what it accepts.
func readLines(path string, parse func(string) (Event, bool)) ([]Event, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []Event
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		if e, ok := parse(sc.Text()); ok {
			out = append(out, e)
		}
	}
	return out, sc.Err()
}
