package abi

import (
	"math"
	"reflect"
	"testing"
)

// The layouts are a wire format for apps in any language: pin the sizes
// and offsets, not only the round trip.
func TestTelemetryLayouts(t *testing.T) {
	hb := Heartbeat{TimeBootMs: 0x01020304, CustomMode: 0x03040000, BaseMode: 0x9d, SystemStatus: 4, Armed: true,
		SystemID: 7, Type: 2, Autopilot: 12, Mode: "AUTO.LOITER"}
	p := hb.Append(nil)
	if len(p) != HeartbeatSize+len("AUTO.LOITER") || p[0] != 4 || p[3] != 1 || p[6] != 4 || p[7] != 3 || p[10] != 1 || p[11] != 7 || string(p[16:]) != "AUTO.LOITER" {
		t.Errorf("heartbeat layout % x", p)
	}
	if got, err := DecodeHeartbeat(p); err != nil || !reflect.DeepEqual(got, hb) {
		t.Errorf("heartbeat round trip %+v, %v", got, err)
	}

	g := GlobalPosition{TimeBootMs: 5000, LatE7: -473977420, LonE7: 85455940, AltAMSL: 498.25, RelativeAlt: 10.25, VX: 1, VY: -2, VZ: 0.5, Heading: float32(math.NaN())}
	p = g.Append(nil)
	if len(p) != GlobalPositionSize || math.Float32frombits(le.Uint32(p[16:])) != 10.25 || int32(le.Uint32(p[4:])) != -473977420 {
		t.Errorf("global position layout % x", p)
	}
	got, err := DecodeGlobalPosition(p)
	if err != nil || got.RelativeAlt != 10.25 || got.LatE7 != g.LatE7 || !math.IsNaN(float64(got.Heading)) {
		t.Errorf("global position round trip %+v, %v", got, err)
	}

	for name, c := range map[string]struct {
		p    []byte
		size int
	}{
		"attitude":  {Attitude{TimeBootMs: 1, Yaw: 1.5}.Append(nil), AttitudeSize},
		"local":     {LocalPosition{TimeBootMs: 1, Z: -3}.Append(nil), LocalPositionSize},
		"landed":    {Landed{TimeBootMs: 1, State: LandedInAir}.Append(nil), LandedSize},
		"battery":   {Battery{TimeBootMs: 1, Voltage: 16.2, Remaining: 0.9}.Append(nil), BatterySize},
		"statustxt": {StatusText{TimeBootMs: 1, Severity: 2, Text: "hi"}.Append(nil), StatusTextSize + 2},
		"link":      {Link{TimeBootMs: 1, Up: true, Reason: "heartbeat"}.Append(nil), LinkSize + 9},
	} {
		if len(c.p) != c.size {
			t.Errorf("%s: %d bytes, want %d", name, len(c.p), c.size)
		}
	}
	if l, _ := DecodeLanded(Landed{TimeBootMs: 9, State: LandedOnGround}.Append(nil)); l.State != LandedOnGround || l.TimeBootMs != 9 {
		t.Errorf("landed %+v", l)
	}
	if l, _ := DecodeLink(Link{Up: true, Reason: "x"}.Append(nil)); !l.Up || l.Reason != "x" {
		t.Errorf("link %+v", l)
	}
	if s, _ := DecodeStatusText(StatusText{Severity: 2, Text: "Arming denied"}.Append(nil)); s.Severity != 2 || s.Text != "Arming denied" {
		t.Errorf("statustext %+v", s)
	}
	if _, err := DecodeGlobalPosition(p[:10]); err != ErrShortPayload {
		t.Errorf("short payload: %v", err)
	}
}

func TestVehicleTopicsAreReservedAndValid(t *testing.T) {
	for _, topic := range append(VehicleTelemetryTopics(), TopicVehicleResult) {
		if !IsVehicleTopic(topic) {
			t.Errorf("%s not reserved", topic)
		}
		if err := ValidTopic(topic); err != nil {
			t.Errorf("%s: %v", topic, err)
		}
	}
	if IsVehicleTopic("drone/progress") {
		t.Error("drone/progress reserved")
	}
}
