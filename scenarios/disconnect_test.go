package scenarios

import (
	"context"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/types"

	"github.com/wasmbed/wasmbed/harness/env"
	"github.com/wasmbed/wasmbed/harness/observe"
	"github.com/wasmbed/wasmbed/harness/sutproc"
	"github.com/wasmbed/wasmbed/harness/testbed"
	wasmbedv1 "github.com/wasmbed/wasmbed/sut/api/v1alpha1"
)

// The timings specs run with (sutproc.ScenarioTimings): heartbeats every
// 500 ms, a 2 s timeout, a 2 s status flush.
var (
	hbInterval = sutproc.ScenarioTimings().HeartbeatInterval.Duration
	hbTimeout  = sutproc.ScenarioTimings().HeartbeatTimeout.Duration
	flushEvery = sutproc.ScenarioTimings().StatusFlushInterval.Duration
)

// observeSlack covers the status write and the 50 ms polling of the
// observer; it is not slack for the SUT's detection.
const observeSlack = 300 * time.Millisecond

// timeToPhase polls every 50 ms until the device reaches phase and returns
// how long that took. limit is a wait's timeout (scaled); what the spec
// asserts on is the time measured.
func timeToPhase(ctx context.Context, obs observe.Namespace, name string, phase wasmbedv1.DevicePhase, limit time.Duration) time.Duration {
	GinkgoHelper()
	start := time.Now()
	Eventually(ctx, obs.DevicePhase(name)).WithTimeout(scaled(limit)).WithPolling(50 * time.Millisecond).Should(Equal(phase))
	return time.Since(start)
}

var _ = forEachBackend("Heartbeats and disconnects", Label("disconnect"), func(b deviceBackend) {
	var (
		e   *env.Env
		tb  *testbed.Testbed
		obs observe.Namespace
	)
	BeforeEach(func(ctx SpecContext) {
		e, tb, obs = b.newTestbed(ctx)
	})

	It("keeps a heartbeating device Connected and advances lastHeartbeat at the coalesced rate", Label("smoke"), func(ctx SpecContext) {
		By("given a connected device")
		connectedDevice(ctx, e, tb, "steady")
		gw := tb.SUT.Gateway("")
		writesBefore, err := gw.Metric(ctx, "wasmbed_gateway_status_writes_total", map[string]string{"kind": "heartbeat"})
		Expect(err).NotTo(HaveOccurred())
		beatsBefore, err := gw.Metric(ctx, "wasmbed_gateway_heartbeats_total", nil)
		Expect(err).NotTo(HaveOccurred())

		By("when it heartbeats for 7 s, it stays Connected throughout")
		const window = 7 * time.Second
		seen := map[time.Time]bool{}
		Consistently(ctx, func(g Gomega, ctx context.Context) {
			g.Expect(obs.DevicePhase("steady")(ctx)).To(Equal(wasmbedv1.DeviceConnected))
			hb, err := obs.LastHeartbeat("steady")(ctx)
			g.Expect(err).NotTo(HaveOccurred())
			seen[hb] = true
		}, window, 100*time.Millisecond).Should(Succeed())
		beats, err := gw.Metric(ctx, "wasmbed_gateway_heartbeats_total", nil)
		Expect(err).NotTo(HaveOccurred())
		writes, err := gw.Metric(ctx, "wasmbed_gateway_status_writes_total", map[string]string{"kind": "heartbeat"})
		Expect(err).NotTo(HaveOccurred())

		By("then about 14 heartbeats arrived, but only about one write per flush interval went out")
		Expect(beats - beatsBefore).To(BeNumerically(">=", 10))
		maxWrites := float64(window/flushEvery) + 1
		Expect(writes - writesBefore).To(BeNumerically("<=", maxWrites))
		Expect(writes-writesBefore).To(BeNumerically(">=", 2), "lastHeartbeat must still advance")
		Expect(len(seen)).To(BeNumerically(">=", 3))
		Expect(len(seen)).To(BeNumerically("<=", int(maxWrites)+1))
	})

	It("marks a SIGKILLed device Disconnected within timeout + one interval", func(ctx SpecContext) {
		By("given a connected device")
		d, _ := connectedDevice(ctx, e, tb, "victim")

		By("when it is SIGKILLed")
		d.Kill()

		By("then it is Disconnected within the heartbeat timeout and one interval")
		took := timeToPhase(ctx, obs, "victim", wasmbedv1.DeviceDisconnected, 10*time.Second)
		AddReportEntry("detection", took.String())
		Expect(took).To(BeNumerically("<=", hbTimeout+hbInterval+observeSlack))
	})

	It("marks a blackholed device (no FIN) Disconnected within timeout + one interval", func(ctx SpecContext) {
		By("given a connected device")
		d, _ := connectedDevice(ctx, e, tb, "silent")

		By("when its link is blackholed: no FIN either way")
		Expect(d.Link.Blackhole()).To(Succeed())

		By("then only the heartbeat timeout notices, within one interval")
		took := timeToPhase(ctx, obs, "silent", wasmbedv1.DeviceDisconnected, 10*time.Second)
		AddReportEntry("detection", took.String())
		Expect(took).To(BeNumerically(">=", hbTimeout-hbInterval), "only the heartbeat timeout can notice a half-open link")
		Expect(took).To(BeNumerically("<=", hbTimeout+hbInterval+observeSlack))
	})

	It("brings a device that comes back to Connected with the same Device and no duplicate", func(ctx SpecContext) {
		By("given a device that was Connected and was killed")
		d, uid := connectedDevice(ctx, e, tb, "phoenix")
		d.Kill()
		timeToPhase(ctx, obs, "phoenix", wasmbedv1.DeviceDisconnected, 10*time.Second)

		By("when it starts again")
		Expect(d.Start(ctx)).To(Succeed())

		By("then it is Connected as the same Device, with its identity, without re-enrolling")
		Eventually(ctx, obs.DevicePhase("phoenix")).Should(Equal(wasmbedv1.DeviceConnected))
		dev, err := obs.Device("phoenix")(ctx)
		Expect(err).NotTo(HaveOccurred())
		Expect(dev.UID).To(Equal(uid))
		Expect(obs.Devices()(ctx)).To(HaveLen(1))
		Expect(d.Log()).To(ContainSubstring("enrolled=true"), "it came back with its identity, without re-enrolling")
	})

	It("keeps a device Connected when it reconnects while its old session is half-open", func(ctx SpecContext) {
		By("given a connected device whose old session goes half-open behind a blackhole")
		d, _ := connectedDevice(ctx, e, tb, "racer")
		// The gateway never hears of the old session's end.
		Expect(d.Link.Blackhole()).To(Succeed())

		By("when the device reaches the gateway again at once by another route")
		route, err := tb.Links.Add("racer-2", tb.SUT.Gateway("").Addr)
		Expect(err).NotTo(HaveOccurred())
		d.Redirect(route.Addr)
		if !b.liveRedirect {
			// A process takes its route at boot: reboot it. (A QEMU guest's
			// serial bridge moves at once; a guest reboot would outlast the
			// old session's timeout and stage no race at all.)
			d.Kill()
			Expect(d.Start(ctx)).To(Succeed())
		}
		gwLog := func() string { return readFile(tb.SUT.Gateway("").LogPath()) }
		Eventually(gwLog).Should(ContainSubstring("new session replaces the previous one"))

		By("then it outlives the old session's timeout, still Connected")
		Consistently(ctx, obs.DevicePhase("racer"), hbTimeout+2*hbInterval, 50*time.Millisecond).Should(Equal(wasmbedv1.DeviceConnected))
		Expect(gwLog()).To(ContainSubstring("old session ended after being replaced"))
	})

	It("reconnects every device after a gateway restart, without duplicates", func(ctx SpecContext) {
		By("given three connected devices")
		uids := map[string]types.UID{}
		for _, n := range []string{"a", "b", "c"} {
			_, uids[n] = connectedDevice(ctx, e, tb, n)
		}

		By("when their gateway restarts")
		gw := tb.SUT.Gateway("")
		oldPID := gw.PID()
		Expect(gw.Restart(ctx)).To(Succeed())
		Expect(gw.PID()).NotTo(Equal(oldPID))

		By("then all three are Connected again as the same Devices")
		Eventually(ctx, obs.PhaseCounts(), scaled(20*time.Second)).Should(HaveKeyWithValue(wasmbedv1.DeviceConnected, 3))
		devs, err := obs.Devices()(ctx)
		Expect(err).NotTo(HaveOccurred())
		Expect(devs).To(HaveLen(3))
		for _, d := range devs {
			Expect(d.UID).To(Equal(uids[d.Name]), d.Name)
		}
	})

	It("marks the devices of a gateway killed for good Unreachable after the grace period", func(ctx SpecContext) {
		By("given a connected device")
		connectedDevice(ctx, e, tb, "orphan")

		By("when its gateway is killed and stays down")
		gw := tb.SUT.Gateway("")
		gw.Kill()
		killed := time.Now()

		By("then nothing changes until the Lease and the grace period run out, and then the device is Unreachable")
		// The Lease was renewed at most a third of its 3 s before the kill;
		// with the 3 s grace nothing may change for at least 5 s.
		Consistently(ctx, obs.DevicePhase("orphan"), 4500*time.Millisecond, 100*time.Millisecond).Should(Equal(wasmbedv1.DeviceConnected))
		Eventually(ctx, obs.DevicePhase("orphan"), scaled(10*time.Second)).Should(Equal(wasmbedv1.DeviceUnreachable))
		took := time.Since(killed)
		AddReportEntry("unreachable after", took.String())
		Expect(took).To(BeNumerically("<=", 3*time.Second+3*time.Second+2*time.Second))
		var gwObj wasmbedv1.Gateway
		Expect(e.Client.Get(ctx, types.NamespacedName{Namespace: e.Namespace, Name: gw.Component.Name[len("gateway-"):]}, &gwObj)).To(Succeed())
		Expect(gwObj.Status.Conditions).To(ContainElement(And(HaveField("Type", wasmbedv1.ConditionLive), HaveField("Status", BeEquivalentTo("False")))))
	})
})
