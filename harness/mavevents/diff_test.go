package mavevents

import (
	"strings"
	"testing"

	"github.com/wasmbed/wasmbed/harness/mavobserver"
)

func kinds(prev, cur mavobserver.Vehicle) string {
	var ks []string
	for _, e := range changes(prev, cur) {
		ks = append(ks, e.Kind)
	}
	return strings.Join(ks, ",")
}

func TestChangesNameWhatAFlightDoes(t *testing.T) {
	ground := mavobserver.Vehicle{SystemID: 1, Heartbeats: 3, Mode: "AUTO.LOITER", HasLandedState: true, LandedState: mavobserver.LandedOnGround}
	armed := ground
	armed.Armed = true
	takeoff := armed
	takeoff.Mode, takeoff.LandedState = "AUTO.TAKEOFF", mavobserver.LandedTakeoff
	landing := takeoff
	landing.Mode, landing.LandedState = "AUTO.LAND", mavobserver.LandedLanding
	landed := landing
	landed.LandedState = mavobserver.LandedOnGround
	disarmed := landed
	disarmed.Armed = false
	said := disarmed
	said.TextCount, said.StatusTexts = 1, []mavobserver.StatusText{{Seq: 1, Severity: 4, Text: "Failsafe activated\t"}}

	for _, c := range []struct {
		name      string
		prev, cur mavobserver.Vehicle
		want      string
	}{
		{"first heartbeat", mavobserver.Vehicle{}, ground, "heard,landed state"},
		{"nothing changed", ground, ground, ""},
		{"arm", ground, armed, "armed"},
		{"take off", armed, takeoff, "mode,takeoff"},
		{"land", takeoff, landing, "mode,landing"},
		{"touch down", landing, landed, "landed"},
		{"disarm", landed, disarmed, "disarmed"},
		{"a text", disarmed, said, "statustext"},
	} {
		if got := kinds(c.prev, c.cur); got != c.want {
			t.Errorf("%s: %q, want %q", c.name, got, c.want)
		}
	}
	if e := changes(disarmed, said)[0]; e.Level != "warn" || !strings.HasSuffix(e.Text, "says: Failsafe activated") {
		t.Errorf("a warning text: %+v", e)
	}
}
