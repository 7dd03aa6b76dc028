package mavevents

import (
	"fmt"
	"strings"
	"time"

	"github.com/wasmbed/wasmbed/harness/mavobserver"
	"github.com/wasmbed/wasmbed/harness/timeline"
)

// changes lists the events between two snapshots of one vehicle. prev is
// the zero Vehicle before the vehicle was first heard.
func changes(prev, cur mavobserver.Vehicle) []timeline.Event {
	subject := fmt.Sprintf("vehicle %d", cur.SystemID)
	var out []timeline.Event
	add := func(kind, level, format string, args ...any) {
		out = append(out, timeline.Event{Subject: subject, Kind: kind, Level: level, Text: fmt.Sprintf(format, args...)})
	}
	if prev.Heartbeats == 0 && cur.Heartbeats > 0 {
		add("heard", timeline.Info, "vehicle %d heard: %s, %s", cur.SystemID, orUnknown(cur.Mode), armedWord(cur.Armed))
	} else if cur.Heartbeats > 0 {
		if prev.Armed != cur.Armed {
			add(armedWord(cur.Armed), timeline.Info, "vehicle %d %s (mode %s)", cur.SystemID, armedWord(cur.Armed), orUnknown(cur.Mode))
		}
		if prev.Mode != cur.Mode {
			add("mode", timeline.Info, "vehicle %d mode %s → %s", cur.SystemID, orUnknown(prev.Mode), orUnknown(cur.Mode))
		}
	}
	if cur.HasLandedState && prev.LandedState != cur.LandedState {
		kind := "landed state"
		switch {
		case cur.LandedState == mavobserver.LandedTakeoff,
			cur.LandedState == mavobserver.LandedInAir && prev.LandedState == mavobserver.LandedOnGround:
			kind = "takeoff"
		case cur.LandedState == mavobserver.LandedLanding:
			kind = "landing"
		case cur.LandedState == mavobserver.LandedOnGround && prev.HasLandedState:
			kind = "landed"
		}
		add(kind, timeline.Info, "vehicle %d %s → %s (%.1f m above home)", cur.SystemID, prev.LandedState, cur.LandedState, cur.AltRel)
	}
	for _, t := range cur.StatusTexts {
		if t.Seq > prev.TextCount {
			// PX4 ends some texts with a tab.
			add("statustext", textLevel(t.Severity), "vehicle %d says: %s", cur.SystemID, strings.TrimSpace(t.Text))
		}
	}
	return out
}

// textLevel maps MAV_SEVERITY (0 emergency … 7 debug) to a timeline level.
func textLevel(severity uint8) string {
	switch {
	case severity <= 3:
		return timeline.Error
	case severity == 4:
		return timeline.Warn
	}
	return timeline.Info
}

func armedWord(armed bool) string {
	if armed {
		return "armed"
	}
	return "disarmed"
}

func orUnknown(mode string) string {
	if mode == "" {
		return "mode unknown"
	}
	return mode
}

// linkEvent is the event for the link to a vehicle going quiet or coming
// back.
func linkEvent(sysid uint8, lost bool, quiet time.Duration) timeline.Event {
	subject := fmt.Sprintf("vehicle %d", sysid)
	if lost {
		return timeline.Event{Subject: subject, Kind: "link lost", Level: timeline.Warn,
			Text: fmt.Sprintf("vehicle %d link lost: no HEARTBEAT for %s", sysid, quiet.Round(time.Millisecond))}
	}
	return timeline.Event{Subject: subject, Kind: "link back", Level: timeline.Info,
		Text: fmt.Sprintf("vehicle %d heard again after %s", sysid, quiet.Round(time.Millisecond))}
}
