package udprelay_test

import (
	"context"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/bluenviron/gomavlib/v3"
	"github.com/bluenviron/gomavlib/v3/pkg/dialects/common"

	"github.com/wasmbed/wasmbed/harness/mavobserver"
	"github.com/wasmbed/wasmbed/harness/px4sim"
	"github.com/wasmbed/wasmbed/harness/udprelay"
)

// The relay's purpose end to end: a ground station talks to the vehicle's
// API link through the relay; cutting the relay makes PX4 (here the
// simulator) lose the data link and run its failsafe, which an independent
// observer on the GCS link witnesses. The observer only listens: were it a
// ground station, its heartbeats would keep the vehicle's data link up. So
// it sees what the vehicle does (mode, status), not what it says: PX4 sends
// STATUSTEXT only to links with a ground station (issue 18, fact 2).
func TestCuttingTheLinkTriggersTheVehicleFailsafe(t *testing.T) {
	t.Parallel()
	obs, err := mavobserver.New(mavobserver.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer obs.Close()
	sim, err := px4sim.New(px4sim.Config{
		SpeedFactor: 10,
		ReadyDelay:  time.Second,
		GCS:         px4sim.LinkConfig{Bind: "127.0.0.1:0", Remote: obs.Addr().String()},
		API:         px4sim.LinkConfig{Bind: "127.0.0.1:0", Remote: px4sim.NoRemote},
		Failsafe:    px4sim.FailsafeConfig{DataLinkLossAction: px4sim.FailsafeLand, DataLinkLossTimeout: 2 * time.Second, ActionDelay: -1},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	if err := sim.Start(); err != nil {
		t.Fatal(err)
	}
	relay := newRelay(t, udprelay.Config{Upstream: sim.APIAddr().String()})

	// The ground station: GCS heartbeats every 20 ms of wall time.
	gs := &gomavlib.Node{
		Endpoints:              []gomavlib.EndpointConf{gomavlib.EndpointUDPClient{Address: relay.Addr().String()}},
		Dialect:                common.Dialect,
		OutVersion:             gomavlib.V2,
		OutSystemID:            255,
		HeartbeatSystemType:    int(common.MAV_TYPE_GCS),
		HeartbeatAutopilotType: int(common.MAV_AUTOPILOT_INVALID),
		HeartbeatPeriod:        20 * time.Millisecond,
	}
	if err := gs.Initialize(); err != nil {
		t.Fatal(err)
	}
	drained, open := make(chan struct{}), make(chan struct{})
	texts := make(chan string, 256)
	go func() {
		defer close(drained)
		opened := false
		for evt := range gs.Events() {
			switch e := evt.(type) {
			case *gomavlib.EventChannelOpen:
				if !opened {
					opened = true
					close(open) // gomavlib drops writes before its channel is up
				}
			case *gomavlib.EventFrame:
				if st, ok := e.Frame.GetMessage().(*common.MessageStatustext); ok {
					select {
					case texts <- st.Text:
					default:
					}
				}
			}
		}
	}()
	defer func() { gs.Close(); <-drained }()
	<-open

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if _, err := obs.WaitFor(ctx, 1, func(v mavobserver.Vehicle) bool { return v.ReadyToArm }); err != nil {
		t.Fatal(err)
	}
	send := func(cmd common.MAV_CMD, p ...float32) {
		var a [7]float32
		copy(a[:], p)
		gs.WriteMessageAll(&common.MessageCommandLong{TargetSystem: 1, TargetComponent: 1, Command: cmd,
			Param1: a[0], Param2: a[1], Param3: a[2], Param4: a[3], Param5: a[4], Param6: a[5], Param7: a[6]})
	}
	send(common.MAV_CMD_COMPONENT_ARM_DISARM, 1)
	if _, err := obs.WaitFor(ctx, 1, func(v mavobserver.Vehicle) bool { return v.Armed }); err != nil {
		t.Fatal(err)
	}
	nan := float32(math.NaN())
	send(common.MAV_CMD_NAV_TAKEOFF, 0, 0, 0, nan, nan, nan, float32(px4sim.DefaultHome.Alt+6))
	v, err := obs.WaitFor(ctx, 1, func(v mavobserver.Vehicle) bool { return v.Mode == "AUTO.LOITER" && v.AltRel > 5.5 })
	if err != nil {
		t.Fatal(err)
	}

	relay.Cut()
	cutAt := v.TimeBoot
	landing, err := obs.WaitFor(ctx, 1, func(v mavobserver.Vehicle) bool { return v.Mode == "AUTO.LAND" })
	if err != nil {
		t.Fatal(err)
	}
	// The mode shows in the 1 Hz heartbeat: the loss at COM_DL_LOSS_T=2s,
	// seen within the next second.
	if d := landing.TimeBoot - cutAt; d < 1500*time.Millisecond || d > 4500*time.Millisecond {
		t.Errorf("failsafe seen %v after the cut, want about COM_DL_LOSS_T=2s", d)
	}
	if landing.SystemStatus != uint8(common.MAV_STATE_CRITICAL) {
		t.Errorf("system status %d in the failsafe, want CRITICAL", landing.SystemStatus)
	}
	if relay.Stats().DroppedToUpstream == 0 {
		t.Error("the cut relay dropped nothing")
	}

	relay.Restore()
	for {
		select {
		case text := <-texts:
			if strings.Contains(text, "GCS connection regained") {
				return
			}
		case <-ctx.Done():
			t.Fatal("the ground station was not told it is back")
		}
	}
}
