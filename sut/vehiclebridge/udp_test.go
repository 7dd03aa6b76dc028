package vehiclebridge

import "testing"

func TestVehicleEndpoints(t *testing.T) {
	for _, bad := range []string{"tcp://1.2.3.4:5", "udp://nohost", "udp:/x:1", ""} {
		if _, _, err := parseVehicleEndpoint(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	u, err := dialVehicle("udp-listen://127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer u.Close()
	if n, _ := u.Write([]byte("x")); n != 1 {
		t.Error("write before a peer is known must be dropped, not fail")
	}
}
