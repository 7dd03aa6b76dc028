package vehiclebridge

import "testing"

func TestPX4Modes(t *testing.T) {
	for name, want := range map[string]uint32{"AUTO.LOITER": 0x03040000, "hold": 0x03040000, "MANUAL": 0x00010000, "rtl": 0x05040000, "POSCTL": 0x00030000} {
		m, ok := lookupPX4Mode(name)
		if !ok || m.customMode() != want {
			t.Errorf("%s: %#x, %v", name, m.customMode(), ok)
		}
	}
	if px4ModeName(0x06040000) != "AUTO.LAND" {
		t.Error("AUTO.LAND")
	}
}
