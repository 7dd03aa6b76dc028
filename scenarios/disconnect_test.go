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

// connectedDevice starts a token-enrolled device and waits for Connected.
func connectedDevice(ctx context.Context, e *env.Env, tb *testbed.Testbed, name string) (*testbed.Device, types.UID) {
	GinkgoHelper()
	d, err := tb.NewDevice(ctx, name, testbed.DeviceOptions{Token: true})
	Expect(err).NotTo(HaveOccurred())
	Eventually(ctx, observe.DevicePhase(e.Client, e.Namespace, name)).Should(Equal(wasmbedv1.DeviceConnected))
	dev, err := observe.Device(e.Client, e.Namespace, name)(ctx)
	Expect(err).NotTo(HaveOccurred())
	return d, dev.UID
}

// timeToPhase polls every 50 ms until the device reaches phase and returns
// how long that took.
func timeToPhase(ctx context.Context, e *env.Env, name string, phase wasmbedv1.DevicePhase, limit time.Duration) time.Duration {
	GinkgoHelper()
	start := time.Now()
	Eventually(ctx, observe.DevicePhase(e.Client, e.Namespace, name)).WithTimeout(limit).WithPolling(50 * time.Millisecond).Should(Equal(phase))
	return time.Since(start)
}

var _ = forEachBackend("Heartbeats and disconnects", Label("disconnect"), func(b deviceBackend) {
	var (
		e  *env.Env
		tb *testbed.Testbed
	)
	BeforeEach(func(ctx SpecContext) {
		e, tb = b.newTestbed(ctx)
	})

	It("keeps a heartbeating device Connected and advances lastHeartbeat at the coalesced rate", Label("smoke"), func(ctx SpecContext) {
		connectedDevice(ctx, e, tb, "steady")
		gw := tb.SUT.Gateway("")
		writesBefore, err := gw.Metric(ctx, "wasmbed_gateway_status_writes_total", map[string]string{"kind": "heartbeat"})
		Expect(err).NotTo(HaveOccurred())
		beatsBefore, err := gw.Metric(ctx, "wasmbed_gateway_heartbeats_total", nil)
		Expect(err).NotTo(HaveOccurred())

		const window = 7 * time.Second
		seen := map[time.Time]bool{}
		deadline := time.Now().Add(window)
		for time.Now().Before(deadline) {
			Expect(observe.DevicePhase(e.Client, e.Namespace, "steady")(ctx)).To(Equal(wasmbedv1.DeviceConnected))
			hb, err := observe.LastHeartbeat(e.Client, e.Namespace, "steady")(ctx)
			Expect(err).NotTo(HaveOccurred())
			seen[hb] = true
			select {
			case <-ctx.Done():
				Fail("interrupted")
			case <-time.After(100 * time.Millisecond):
			}
		}
		beats, _ := gw.Metric(ctx, "wasmbed_gateway_heartbeats_total", nil)
		writes, _ := gw.Metric(ctx, "wasmbed_gateway_status_writes_total", map[string]string{"kind": "heartbeat"})
		By("about 14 heartbeats arrived, but only about one write per flush interval went out")
		Expect(beats - beatsBefore).To(BeNumerically(">=", 10))
		maxWrites := float64(window/flushEvery) + 1
		Expect(writes - writesBefore).To(BeNumerically("<=", maxWrites))
		Expect(writes-writesBefore).To(BeNumerically(">=", 2), "lastHeartbeat must still advance")
		Expect(len(seen)).To(BeNumerically(">=", 3))
		Expect(len(seen)).To(BeNumerically("<=", int(maxWrites)+1))
	})

	It("marks a SIGKILLed device Disconnected within timeout + one interval", func(ctx SpecContext) {
		d, _ := connectedDevice(ctx, e, tb, "victim")
		d.Kill()
		took := timeToPhase(ctx, e, "victim", wasmbedv1.DeviceDisconnected, 10*time.Second)
		AddReportEntry("detection", took.String())
		Expect(took).To(BeNumerically("<=", hbTimeout+hbInterval+observeSlack))
	})

	It("marks a blackholed device (no FIN) Disconnected within timeout + one interval", func(ctx SpecContext) {
		d, _ := connectedDevice(ctx, e, tb, "silent")
		Expect(d.Link.Blackhole()).To(Succeed())
		took := timeToPhase(ctx, e, "silent", wasmbedv1.DeviceDisconnected, 10*time.Second)
		AddReportEntry("detection", took.String())
		Expect(took).To(BeNumerically(">=", hbTimeout-hbInterval), "only the heartbeat timeout can notice a half-open link")
		Expect(took).To(BeNumerically("<=", hbTimeout+hbInterval+observeSlack))
	})

	It("brings a device that comes back to Connected with the same Device and no duplicate", func(ctx SpecContext) {
		d, uid := connectedDevice(ctx, e, tb, "phoenix")
		d.Kill()
		timeToPhase(ctx, e, "phoenix", wasmbedv1.DeviceDisconnected, 10*time.Second)
		Expect(d.Start(ctx)).To(Succeed())
		Eventually(ctx, observe.DevicePhase(e.Client, e.Namespace, "phoenix")).Should(Equal(wasmbedv1.DeviceConnected))
		dev, err := observe.Device(e.Client, e.Namespace, "phoenix")(ctx)
		Expect(err).NotTo(HaveOccurred())
		Expect(dev.UID).To(Equal(uid))
		Expect(observe.Devices(e.Client, e.Namespace)(ctx)).To(HaveLen(1))
		Expect(d.Log()).To(ContainSubstring("enrolled=true"), "it came back with its identity, without re-enrolling")
	})

	It("keeps a device Connected when it reconnects while its old session is half-open", func(ctx SpecContext) {
		d, _ := connectedDevice(ctx, e, tb, "racer")
		// The old session goes half-open behind a blackhole: the gateway
		// never hears of its end. The device reaches the gateway again at
		// once by another route.
		Expect(d.Link.Blackhole()).To(Succeed())
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
		By("outliving the old session's timeout, still Connected")
		Consistently(ctx, observe.DevicePhase(e.Client, e.Namespace, "racer"), hbTimeout+2*hbInterval, 50*time.Millisecond).Should(Equal(wasmbedv1.DeviceConnected))
		Expect(gwLog()).To(ContainSubstring("old session ended after being replaced"))
	})

	It("reconnects every device after a gateway restart, without duplicates", func(ctx SpecContext) {
		uids := map[string]types.UID{}
		for _, n := range []string{"a", "b", "c"} {
			_, uids[n] = connectedDevice(ctx, e, tb, n)
		}
		gw := tb.SUT.Gateway("")
		oldPID := gw.PID()
		Expect(gw.Restart(ctx)).To(Succeed())
		Expect(gw.PID()).NotTo(Equal(oldPID))
		Eventually(ctx, observe.PhaseCounts(e.Client, e.Namespace), 20*time.Second).Should(HaveKeyWithValue(wasmbedv1.DeviceConnected, 3))
		devs, err := observe.Devices(e.Client, e.Namespace)(ctx)
		Expect(err).NotTo(HaveOccurred())
		Expect(devs).To(HaveLen(3))
		for _, d := range devs {
			Expect(d.UID).To(Equal(uids[d.Name]), d.Name)
		}
	})

	It("marks the devices of a gateway killed for good Unreachable after the grace period", func(ctx SpecContext) {
		connectedDevice(ctx, e, tb, "orphan")
		gw := tb.SUT.Gateway("")
		gw.Kill()
		killed := time.Now()
		// The Lease was renewed at most a third of its 3 s before the kill;
		// with the 3 s grace nothing may change for at least 5 s.
		Consistently(ctx, observe.DevicePhase(e.Client, e.Namespace, "orphan"), 4500*time.Millisecond, 100*time.Millisecond).Should(Equal(wasmbedv1.DeviceConnected))
		Eventually(ctx, observe.DevicePhase(e.Client, e.Namespace, "orphan"), 10*time.Second).Should(Equal(wasmbedv1.DeviceUnreachable))
		took := time.Since(killed)
		AddReportEntry("unreachable after", took.String())
		Expect(took).To(BeNumerically("<=", 3*time.Second+3*time.Second+2*time.Second))
		var gwObj wasmbedv1.Gateway
		Expect(e.Client.Get(ctx, types.NamespacedName{Namespace: e.Namespace, Name: gw.Component.Name[len("gateway-"):]}, &gwObj)).To(Succeed())
		Expect(gwObj.Status.Conditions).To(ContainElement(And(HaveField("Type", wasmbedv1.ConditionLive), HaveField("Status", BeEquivalentTo("False")))))
	})
})
