package mavevents_test

import (
	"context"
	"math"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bluenviron/gomavlib/v3"
	"github.com/bluenviron/gomavlib/v3/pkg/dialects/common"
	. "github.com/onsi/gomega"

	"github.com/wasmbed/wasmbed/harness/mavevents"
	"github.com/wasmbed/wasmbed/harness/mavobserver"
	"github.com/wasmbed/wasmbed/harness/px4sim"
	"github.com/wasmbed/wasmbed/harness/timeline"
)

// A flight of the built-in simulator, commanded by a ground station on
// its API link and watched by the observer on its GCS link, lands in the
// journal as a person would tell it: heard, armed, took off, landed,
// disarmed; then the vehicle goes silent and the link is lost.
func TestAFlightInTheJournal(t *testing.T) {
	g := NewWithT(t)
	dir := t.TempDir()
	j, err := timeline.Create(dir, mavevents.Source)
	g.Expect(err).NotTo(HaveOccurred())
	obs, err := mavobserver.New(mavobserver.Config{})
	g.Expect(err).NotTo(HaveOccurred())
	defer obs.Close()
	sim, err := px4sim.New(px4sim.Config{
		SpeedFactor: 10,
		ReadyDelay:  time.Second,
		GCS:         px4sim.LinkConfig{Bind: "127.0.0.1:0", Remote: obs.Addr().String()},
		API:         px4sim.LinkConfig{Bind: "127.0.0.1:0", Remote: px4sim.NoRemote},
	})
	g.Expect(err).NotTo(HaveOccurred())
	closed := false
	defer func() {
		if !closed {
			sim.Close()
		}
	}()
	g.Expect(sim.Start()).To(Succeed())
	// The observer is the vehicle's ground station on its GCS link, as in
	// the testbed: PX4 sends its STATUSTEXTs only to such a link.
	g.Expect(obs.AddVehicle(sim.GCSAddr().String())).To(Succeed())
	w := mavevents.Watch(obs, 1, j, mavevents.Options{LinkLost: time.Second})

	gs := &gomavlib.Node{
		Endpoints:              []gomavlib.EndpointConf{gomavlib.EndpointUDPClient{Address: sim.APIAddr().String()}},
		Dialect:                common.Dialect,
		OutVersion:             gomavlib.V2,
		OutSystemID:            255,
		HeartbeatSystemType:    int(common.MAV_TYPE_GCS),
		HeartbeatAutopilotType: int(common.MAV_AUTOPILOT_INVALID),
		HeartbeatPeriod:        20 * time.Millisecond,
	}
	g.Expect(gs.Initialize()).To(Succeed())
	drained, open := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(drained)
		opened := false
		for evt := range gs.Events() {
			if _, ok := evt.(*gomavlib.EventChannelOpen); ok && !opened {
				opened = true
				close(open)
			}
		}
	}()
	defer func() { gs.Close(); <-drained }()
	<-open
	send := func(cmd common.MAV_CMD, p ...float32) {
		var a [7]float32
		copy(a[:], p)
		gs.WriteMessageAll(&common.MessageCommandLong{TargetSystem: 1, TargetComponent: 1, Command: cmd,
			Param1: a[0], Param2: a[1], Param3: a[2], Param4: a[3], Param5: a[4], Param6: a[5], Param7: a[6]})
	}
	kinds := func() string {
		es, _ := timeline.Read(filepath.Join(dir, mavevents.Source+timeline.Suffix))
		var ks []string
		for _, e := range es {
			if e.Kind != "statustext" && e.Kind != "mode" && e.Kind != "landed state" {
				ks = append(ks, e.Kind)
			}
		}
		return strings.Join(ks, ",")
	}
	texts := func() string {
		es, _ := timeline.Read(filepath.Join(dir, mavevents.Source+timeline.Suffix))
		var ts []string
		for _, e := range es {
			ts = append(ts, e.Text)
		}
		return strings.Join(ts, "\n")
	}

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	_, err = obs.WaitFor(ctx, 1, func(v mavobserver.Vehicle) bool { return v.ReadyToArm })
	g.Expect(err).NotTo(HaveOccurred())
	send(common.MAV_CMD_COMPONENT_ARM_DISARM, 1)
	g.Eventually(kinds).WithTimeout(20 * time.Second).Should(Equal("heard,armed"))
	nan := float32(math.NaN())
	send(common.MAV_CMD_NAV_TAKEOFF, 0, 0, 0, nan, nan, nan, float32(px4sim.DefaultHome.Alt+5))
	g.Eventually(kinds).WithTimeout(20 * time.Second).Should(HavePrefix("heard,armed,takeoff"))
	g.Eventually(texts).WithTimeout(20 * time.Second).Should(ContainSubstring("→ AUTO.LOITER"))
	send(common.MAV_CMD_NAV_LAND, 0, 0, 0, nan, nan, nan, nan)
	g.Eventually(kinds).WithTimeout(60 * time.Second).Should(HaveSuffix("landing,landed,disarmed"))

	sim.Close()
	closed = true
	g.Eventually(kinds).WithTimeout(20 * time.Second).Should(HaveSuffix(",link lost"))
	w.Stop()
	g.Expect(j.Close()).To(Succeed())
}
