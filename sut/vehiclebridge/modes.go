package vehiclebridge

import (
	"sort"
	"strings"
)

// PX4 flight modes by the names QGroundControl and MAVSDK use. PX4 carries
// a mode in HEARTBEAT.custom_mode as main_mode<<16 | sub_mode<<24
// (px4_custom_mode.h) and takes it in DO_SET_MODE as param2 (main) and
// param3 (sub) with MAV_MODE_FLAG_CUSTOM_MODE_ENABLED in param1.
var px4Modes = map[string]px4Mode{
	"MANUAL":       {1, 0},
	"ALTCTL":       {2, 0},
	"POSCTL":       {3, 0},
	"AUTO.TAKEOFF": {4, 2},
	"AUTO.LOITER":  {4, 3},
	"AUTO.MISSION": {4, 4},
	"AUTO.RTL":     {4, 5},
	"AUTO.LAND":    {4, 6},
	"ACRO":         {5, 0},
	"OFFBOARD":     {6, 0},
	"STABILIZED":   {7, 0},
}

// px4ModeAliases are the names PX4's own UI strings use for some modes.
var px4ModeAliases = map[string]string{
	"HOLD": "AUTO.LOITER", "LOITER": "AUTO.LOITER", "TAKEOFF": "AUTO.TAKEOFF", "MISSION": "AUTO.MISSION",
	"RTL": "AUTO.RTL", "RETURN": "AUTO.RTL", "LAND": "AUTO.LAND", "POSITION": "POSCTL", "ALTITUDE": "ALTCTL",
}

// px4Mode is a PX4 main and sub mode.
type px4Mode struct{ main, sub uint8 }

// customMode is the mode as HEARTBEAT.custom_mode carries it.
func (m px4Mode) customMode() uint32 { return uint32(m.main)<<16 | uint32(m.sub)<<24 }

// lookupPX4Mode resolves a mode name (case-insensitive, aliases allowed).
func lookupPX4Mode(name string) (px4Mode, bool) {
	n := strings.ToUpper(strings.TrimSpace(name))
	if a, ok := px4ModeAliases[n]; ok {
		n = a
	}
	m, ok := px4Modes[n]
	return m, ok
}

// px4ModeName names a HEARTBEAT.custom_mode, or "" if unknown.
func px4ModeName(customMode uint32) string {
	for name, m := range px4Modes {
		if m.customMode() == customMode {
			return name
		}
	}
	return ""
}

// px4ModeNames lists the mode names, sorted, for error messages.
func px4ModeNames() string {
	names := make([]string, 0, len(px4Modes))
	for n := range px4Modes {
		names = append(names, n)
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}
