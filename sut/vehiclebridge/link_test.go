package vehiclebridge

import (
	"context"
	"log/slog"
	"math"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bluenviron/gomavlib/v3/pkg/dialects/common"
	. "github.com/onsi/gomega"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/wasmbed/wasmbed/sut/abi"
)

// The link against a MAVLink vehicle endpoint (peer_test.go): what it
// forwards to apps, what it sends the autopilot for each command, and how
// it reads the answers.

const linkTestTimeout = 20 * time.Second

// recorder collects what a link delivers.
type recorder struct {
	mu      sync.Mutex
	samples []telemetrySample
}

func (r *recorder) deliver(topic string, payload []byte) {
	r.mu.Lock()
	r.samples = append(r.samples, telemetrySample{topic: topic, payload: append([]byte(nil), payload...)})
	r.mu.Unlock()
}

// latest returns the last payload delivered on topic, or nil.
func (r *recorder) latest(topic string) []byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i := len(r.samples) - 1; i >= 0; i-- {
		if r.samples[i].topic == topic {
			return r.samples[i].payload
		}
	}
	return nil
}

// all returns every payload delivered on topic.
func (r *recorder) all(topic string) [][]byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out [][]byte
	for _, s := range r.samples {
		if s.topic == topic {
			out = append(out, s.payload)
		}
	}
	return out
}

type linkFixture struct {
	g    *WithT
	link *vehicleLink
	peer *vehiclePeer
	rec  *recorder
}

// newLinkFixture opens a link in udp-listen mode and a vehicle at speed
// that answers commands with respond.
func newLinkFixture(t *testing.T, speed float64, respond func(*vehiclePeer, *common.MessageCommandLong)) *linkFixture {
	t.Helper()
	rec := &recorder{}
	link, err := startVehicleLink(linkConfig{
		device: "d", endpoint: "udp-listen://127.0.0.1:0", sysid: peerSysID, deliver: rec.deliver,
		log: slog.New(slog.DiscardHandler), metrics: newMetrics(prometheus.NewRegistry()),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(link.close)
	peer := newVehiclePeer(t, link.udp.conn.LocalAddr().String(), speed, respond)
	g := NewWithT(t)
	g.SetDefaultEventuallyTimeout(linkTestTimeout)
	g.SetDefaultEventuallyPollingInterval(10 * time.Millisecond)
	f := &linkFixture{g: g, link: link, peer: peer, rec: rec}
	f.waitFor(abi.TopicVehicleGlobalPosition, "a position", func([]byte) bool { return true })
	return f
}

// waitFor waits until the latest payload on topic satisfies cond.
func (f *linkFixture) waitFor(topic, what string, cond func([]byte) bool) []byte {
	var got []byte
	f.g.Eventually(func() bool {
		got = f.rec.latest(topic)
		return got != nil && cond(got)
	}).Should(BeTrue(), "waiting for %s on %s", what, topic)
	return got
}

func (f *linkFixture) do(command string, param float64, mode string) commandResult {
	mc, bad := f.link.translate(command, param, mode)
	if bad != nil {
		return *bad
	}
	ctx, cancel := context.WithTimeout(context.Background(), linkTestTimeout)
	defer cancel()
	return f.link.exec(ctx, mc)
}

func decode[T any](g *WithT, p []byte, dec func([]byte) (T, error)) T {
	v, err := dec(p)
	g.Expect(err).NotTo(HaveOccurred())
	return v
}

func TestLinkForwardsTelemetryAsTheABILaysItOut(t *testing.T) {
	t.Parallel()
	f := newLinkFixture(t, 10, acceptAll)
	g := f.g

	hb := decode(g, f.waitFor(abi.TopicVehicleHeartbeat, "a heartbeat", func([]byte) bool { return true }), abi.DecodeHeartbeat)
	g.Expect(hb).To(And(HaveField("Mode", "AUTO.LOITER"), HaveField("Armed", false), HaveField("SystemID", uint8(peerSysID)),
		HaveField("Autopilot", uint8(common.MAV_AUTOPILOT_PX4)), HaveField("CustomMode", uint32(px4Loiter))))

	pos := decode(g, f.rec.latest(abi.TopicVehicleGlobalPosition), abi.DecodeGlobalPosition)
	g.Expect(pos.AltAMSL).To(BeNumerically("~", 488.5, 0.001), "alt in mm becomes metres AMSL")
	g.Expect(pos.LatE7).To(Equal(int32(473977420)))
	g.Expect(math.IsNaN(float64(pos.Heading))).To(BeTrue(), "an unknown heading (UINT16_MAX) is NaN")
	g.Expect(pos.TimeBootMs).NotTo(BeZero(), "samples carry the vehicle's own clock")

	landed := decode(g, f.waitFor(abi.TopicVehicleLanded, "the landed state", func([]byte) bool { return true }), abi.DecodeLanded)
	g.Expect(landed.State).To(Equal(uint8(abi.LandedOnGround)))
	battery := decode(g, f.waitFor(abi.TopicVehicleBattery, "the battery", func([]byte) bool { return true }), abi.DecodeBattery)
	g.Expect(battery.Voltage).To(BeNumerically("~", 16.2, 0.001))
	g.Expect(battery.Remaining).To(BeNumerically("~", 0.9, 0.001))
	g.Expect(math.IsNaN(float64(battery.Current))).To(BeTrue(), "an unknown current (-1) is NaN")

	// A text longer than one STATUSTEXT arrives in chunks and is
	// delivered once, whole, without the padding PX4 may end it with.
	long := "Preflight Fail: " + strings.Repeat("accelerometer 0 uncalibrated, ", 3) + "\t"
	want := strings.TrimRight(long, " \t")
	f.peer.text(common.MAV_SEVERITY_CRITICAL, long, 42)
	f.waitFor(abi.TopicVehicleStatusText, "the reassembled text", func(p []byte) bool {
		s, _ := abi.DecodeStatusText(p)
		return s.Text == want && s.Severity == uint8(common.MAV_SEVERITY_CRITICAL)
	})
	g.Expect(f.rec.all(abi.TopicVehicleStatusText)).To(HaveLen(1), "chunks are not delivered on their own")

	// Positions arrive every 10 ms of wall time; apps get at most 25 Hz.
	g.Eventually(func() int { return len(f.rec.all(abi.TopicVehicleGlobalPosition)) }).Should(BeNumerically(">=", 5))

	// The link presents itself as a ground station, so PX4's data-link
	// check counts it.
	g.Eventually(f.peer.heardGCS).Should(ContainElement(gcsBeat{gatewaySystemID, gatewayComponentID, common.MAV_TYPE_GCS}))
}

func TestLinkTakeoffIsRelativeToHome(t *testing.T) {
	t.Parallel()
	f := newLinkFixture(t, 10, acceptAll)
	g := f.g
	g.Expect(f.do(abi.VehicleArm, 0, "")).To(Equal(commandResult{result: abi.VehicleAccepted}))
	g.Expect(f.do(abi.VehicleTakeoff, 6, "")).To(Equal(commandResult{result: abi.VehicleAccepted}))

	sent := f.peer.received()
	g.Expect(sent).To(HaveLen(2))
	g.Expect(sent[0]).To(And(HaveField("Command", common.MAV_CMD_COMPONENT_ARM_DISARM), HaveField("Param1", float32(1))))
	// PX4's NAV_TAKEOFF takes an altitude above mean sea level: home is
	// 488.5 m AMSL, so 6 m above it is 494.5.
	g.Expect(sent[1].Command).To(Equal(common.MAV_CMD_NAV_TAKEOFF))
	g.Expect(sent[1].Param7).To(BeNumerically("~", 494.5, 0.01))

	// Once the vehicle is up, home is where it took off from, not where it
	// is: the next take-off height is relative to the same home.
	f.peer.update(func(s *peerState) { s.relAlt = 6 })
	f.waitFor(abi.TopicVehicleGlobalPosition, "6 m above home", func(p []byte) bool {
		pos, _ := abi.DecodeGlobalPosition(p)
		return pos.RelativeAlt == 6
	})
	g.Expect(f.do(abi.VehicleTakeoff, 10, "")).To(Equal(commandResult{result: abi.VehicleAccepted}))
	g.Expect(f.peer.received()[2].Param7).To(BeNumerically("~", 498.5, 0.01))
}

func TestLinkReadsTheAutopilotsVerdict(t *testing.T) {
	t.Parallel()
	f := newLinkFixture(t, 10, func(p *vehiclePeer, c *common.MessageCommandLong) {
		switch {
		case c.Command == common.MAV_CMD_COMPONENT_ARM_DISARM && c.Param1 == 0:
			// PX4 explains a refusal in a STATUSTEXT; here it comes first.
			p.text(common.MAV_SEVERITY_CRITICAL, "Disarming denied: not landed", 1)
			p.ack(c, common.MAV_RESULT_TEMPORARILY_REJECTED)
		case c.Command == common.MAV_CMD_NAV_LAND && c.Confirmation == 0:
			// The first COMMAND_LONG is lost; the resend gets through.
		case c.Command == common.MAV_CMD_NAV_RETURN_TO_LAUNCH:
			// Never answered.
		case c.Command == common.MAV_CMD_DO_SET_MODE:
			// PX4 acks DO_SET_MODE at once, then gives commander's verdict.
			p.ack(c, common.MAV_RESULT_ACCEPTED)
			switch uint32(c.Param2)<<16 | uint32(c.Param3)<<24 {
			case px4Manual:
				p.update(func(s *peerState) { s.mode = px4Manual }) // confirmed by the heartbeat only
			case 0x00030000: // POSCTL: refused by the second ack
				p.ack(c, common.MAV_RESULT_TEMPORARILY_REJECTED)
			}
			// AUTO.MISSION: acked once, never entered.
		default:
			p.ack(c, common.MAV_RESULT_ACCEPTED)
		}
	})
	g := f.g

	r := f.do(abi.VehicleDisarm, 0, "")
	g.Expect(r.result).To(Equal(abi.VehicleTemporarilyRejected))
	g.Expect(r.message).To(Equal("Disarming denied: not landed"), "the refusal carries the autopilot's reason")

	g.Expect(f.do(abi.VehicleLand, 0, "")).To(Equal(commandResult{result: abi.VehicleAccepted}))
	var confirmations []uint8
	for _, c := range f.peer.received() {
		if c.Command == common.MAV_CMD_NAV_LAND {
			confirmations = append(confirmations, c.Confirmation)
		}
	}
	g.Expect(confirmations).To(Equal([]uint8{0, 1}), "a command without an ack is resent with the next confirmation")

	r = f.do(abi.VehicleRTL, 0, "")
	g.Expect(r.result).To(Equal(abi.VehicleTimeout))
	g.Expect(r.message).To(ContainSubstring("after 3 attempts"))

	g.Expect(f.do(abi.VehicleSetMode, 0, "manual")).To(Equal(commandResult{result: abi.VehicleAccepted}), "the heartbeat confirms the mode")
	f.waitFor(abi.TopicVehicleHeartbeat, "MANUAL", func(p []byte) bool {
		h, _ := abi.DecodeHeartbeat(p)
		return h.Mode == "MANUAL"
	})
	g.Expect(f.do(abi.VehicleSetMode, 0, "POSCTL").result).To(Equal(abi.VehicleTemporarilyRejected), "the second ack decides, not the first ACCEPTED")
	r = f.do(abi.VehicleSetMode, 0, "mission")
	g.Expect(r.result).To(Equal(abi.VehicleTimeout))
	g.Expect(r.message).To(ContainSubstring("not in mode AUTO.MISSION"))

	sets := slices.DeleteFunc(f.peer.received(), func(c common.MessageCommandLong) bool { return c.Command != common.MAV_CMD_DO_SET_MODE })
	g.Expect(sets).NotTo(BeEmpty())
	g.Expect(sets[0]).To(And(HaveField("Param1", float32(common.MAV_MODE_FLAG_CUSTOM_MODE_ENABLED)), HaveField("Param2", float32(1)), HaveField("Param3", float32(0))))
}

func TestLinkRefusesWhatItCannotTranslate(t *testing.T) {
	t.Parallel()
	var l vehicleLink
	for name, tc := range map[string]struct {
		command, mode string
		param         float64
		result, text  string
	}{
		"unknown mode":            {abi.VehicleSetMode, "GUIDED", 0, abi.VehicleInvalid, "AUTO.LOITER"},
		"negative take-off":       {abi.VehicleTakeoff, "", -3, abi.VehicleInvalid, "outside (0, 500]"},
		"take-off into orbit":     {abi.VehicleTakeoff, "", 501, abi.VehicleInvalid, "outside (0, 500]"},
		"take-off without a home": {abi.VehicleTakeoff, "", 5, abi.VehicleNotAvailable, "not reported its position or home"},
		"unknown command":         {"flip", "", 0, abi.VehicleInvalid, `unknown command "flip"`},
	} {
		_, bad := l.translate(tc.command, tc.param, tc.mode)
		if bad == nil || bad.result != tc.result || !strings.Contains(bad.message, tc.text) {
			t.Errorf("%s: %+v, want %s saying %q", name, bad, tc.result, tc.text)
		}
	}
}

func TestLinkNoticesLossAndRecovers(t *testing.T) {
	t.Parallel()
	f := newLinkFixture(t, 5, acceptAll)
	g := f.g
	f.waitFor(abi.TopicVehicleLink, "link up", func(p []byte) bool { l, _ := abi.DecodeLink(p); return l.Up })
	// The ground-station heartbeat follows the vehicle's clock: one per
	// vehicle second, 200 ms at 5x once the rate is measured.
	g.Eventually(f.link.heartbeatPeriod).Should(BeNumerically("~", 200*time.Millisecond, 100*time.Millisecond))

	// An armed vehicle loses its link: the alerting gauge counts it.
	f.peer.update(func(st *peerState) { st.armed = true })
	f.waitFor(abi.TopicVehicleHeartbeat, "an armed heartbeat", func(p []byte) bool { h, _ := abi.DecodeHeartbeat(p); return h.Armed })
	g.Expect(testutil.ToFloat64(f.link.cfg.metrics.lostArmed)).To(BeZero())
	f.peer.cut()
	f.waitFor(abi.TopicVehicleLink, "link down", func(p []byte) bool {
		l, _ := abi.DecodeLink(p)
		return !l.Up && strings.HasPrefix(l.Reason, "no heartbeat for ")
	})
	g.Expect(f.link.isUp()).To(BeFalse())
	g.Expect(testutil.ToFloat64(f.link.cfg.metrics.lostArmed)).To(Equal(1.0), "wasmbed_gateway_vehicle_links_lost_armed after losing an armed vehicle")
	g.Expect(f.do(abi.VehicleLand, 0, "").result).To(Equal(abi.VehicleTimeout), "a command over a cut link")

	f.peer.restore()
	f.waitFor(abi.TopicVehicleLink, "link up again", func(p []byte) bool { l, _ := abi.DecodeLink(p); return l.Up })
	g.Expect(f.link.isUp()).To(BeTrue())
	g.Expect(testutil.ToFloat64(f.link.cfg.metrics.lostArmed)).To(BeZero(), "wasmbed_gateway_vehicle_links_lost_armed after the link came back")
}

// The heartbeat period and the loss timeout follow the vehicle's clock
// rate, within wall-clock bounds.
func TestLinkTimingFollowsTheVehicleClock(t *testing.T) {
	for _, tc := range []struct {
		rate             float64 // vehicle seconds per wall second; 0 unmeasured
		period, timeout  time.Duration
		periodWhy, limit string
	}{
		{0, unmeasuredHeartbeat, maxLinkTimeout, "unmeasured", "unmeasured"},
		{1, time.Second, maxLinkTimeout, "one per vehicle second", "three vehicle seconds"},
		{5, 200 * time.Millisecond, minLinkTimeout, "one per vehicle second", "bounded below"},
		{0.5, maxHeartbeatPeriod, maxLinkTimeout, "bounded above", "bounded above"},
		{100, minHeartbeatPeriod, minLinkTimeout, "bounded below", "bounded below"},
	} {
		l := &vehicleLink{clock: clockRate{rate: tc.rate}}
		if got := l.heartbeatPeriod(); got != tc.period {
			t.Errorf("rate %v: heartbeat every %v, want %v (%s)", tc.rate, got, tc.period, tc.periodWhy)
		}
		if got := l.linkTimeoutLocked(); got != tc.timeout {
			t.Errorf("rate %v: link timeout %v, want %v (%s)", tc.rate, got, tc.timeout, tc.limit)
		}
	}
}
