package scenarios

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"regexp"
	"strconv"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	fixtures "github.com/wasmbed/wasmbed/fixtures/apps"
	"github.com/wasmbed/wasmbed/harness/appspec"
	"github.com/wasmbed/wasmbed/harness/env"
	"github.com/wasmbed/wasmbed/harness/observe"
	"github.com/wasmbed/wasmbed/harness/testbed"
	wasmbedv1 "github.com/wasmbed/wasmbed/sut/api/v1alpha1"
)

var countRE = regexp.MustCompile(`count=(\d+)`)

// lastCount is the counter fixture's latest value in a device log.
func lastCount(d *testbed.Device) func() int {
	return func() int {
		m := countRE.FindAllStringSubmatch(d.Log(), -1)
		if len(m) == 0 {
			return -1
		}
		n, _ := strconv.Atoi(m[len(m)-1][1])
		return n
	}
}

var counterRestoredRE = regexp.MustCompile(`msg="app restored" .*app=counter`)

// firstCountAfterRestore is the counter fixture's first value logged after
// the device's latest "app restored" line; -1 until there is one.
func firstCountAfterRestore(d *testbed.Device) func() int {
	return func() int {
		log := d.Log()
		restores := counterRestoredRE.FindAllStringIndex(log, -1)
		if len(restores) == 0 {
			return -1
		}
		m := countRE.FindStringSubmatch(log[restores[len(restores)-1][1]:])
		if m == nil {
			return -1
		}
		n, _ := strconv.Atoi(m[1])
		return n
	}
}

var _ = forEachBackend("Deploy", Label("deploy"), func(b deviceBackend) {
	var (
		e   *env.Env
		tb  *testbed.Testbed
		obs observe.Namespace
	)
	BeforeEach(func(ctx SpecContext) {
		e, tb, obs = b.newTestbed(ctx)
	})

	It("deploys an app to one device and reports it Running", Label("smoke"), func(ctx SpecContext) {
		By("given a connected device")
		d := connected(ctx, tb, "solo", 1, nil)[0]

		By("when an Application names it")
		app := appspec.FromFixture(e.Namespace, "hello", fixtures.Hello, appspec.Options{Devices: []string{d.Name()}})
		Expect(e.Client.Create(ctx, app)).To(Succeed())

		By("then the app runs on the device and its status says so")
		Eventually(ctx, obs.AppPhase("hello")).Should(Equal(wasmbedv1.AppPhaseRunning))
		Eventually(d.Log).Should(ContainSubstring(fixtures.Get(fixtures.Hello).LogLine))
		st, err := obs.DeviceApp(d.Name(), "hello")(ctx)
		Expect(err).NotTo(HaveOccurred())
		Expect(st.State).To(Equal(wasmbedv1.AppRunning))
		Expect(st.Digest).To(Equal(fixtures.Hello.Digest()))
		got, err := obs.Application("hello")(ctx)
		Expect(err).NotTo(HaveOccurred())
		Expect(got.Status.Counts).To(Equal(wasmbedv1.ApplicationCounts{Targeted: 1, Running: 1}))
		Expect(got.Status.ObservedGeneration).To(Equal(got.Generation))
	})

	if b.fleets {
		It("deploys to the 20 devices a label selects, and only to them", Label("scale"), func(ctx SpecContext) {
			By("given 20 connected devices labelled blue and 2 labelled green")
			connected(ctx, tb, "fleet", 20, map[string]string{"fleet": "blue"})
			connected(ctx, tb, "other", 2, map[string]string{"fleet": "green"})

			By("when an Application selects the blue ones")
			app := appspec.FromFixture(e.Namespace, "hello", fixtures.Hello, appspec.Options{Selector: map[string]string{"fleet": "blue"}})
			Expect(e.Client.Create(ctx, app)).To(Succeed())

			By("then it runs on the 20 and never reaches the 2")
			Eventually(ctx, obs.AppPhase("hello"), scaled(60*time.Second)).Should(Equal(wasmbedv1.AppPhaseRunning))
			got, err := obs.Application("hello")(ctx)
			Expect(err).NotTo(HaveOccurred())
			Expect(got.Status.Counts.Running).To(BeEquivalentTo(20))
			for _, n := range []string{"other-00", "other-01"} {
				Consistently(ctx, obs.AppCount(n), time.Second).Should(BeZero())
			}
		})
	}

	It("explains an app that targets no device", func(ctx SpecContext) {
		By("given no device with the label fleet=none")
		By("when an Application selects fleet=none")
		app := appspec.FromFixture(e.Namespace, "lonely", fixtures.Hello, appspec.Options{Selector: map[string]string{"fleet": "none"}})
		Expect(e.Client.Create(ctx, app)).To(Succeed())

		By("then it stays Pending with a NoTargets condition that says why")
		Eventually(ctx, obs.Application("lonely")).Should(And(
			HaveField("Status.Phase", wasmbedv1.AppPhasePending),
			HaveField("Status.Conditions", ContainElement(And(
				HaveField("Type", wasmbedv1.ConditionScheduled),
				HaveField("Reason", "NoTargets"),
				HaveField("Message", ContainSubstring("no Device matches")))))))
	})

	It("rolls an update out to every target", func(ctx SpecContext) {
		By("given v1 of an app running on 3 devices")
		devs := connected(ctx, tb, "upd", 3, map[string]string{"app": "greeter"})
		app := appspec.FromFixture(e.Namespace, "greeter", fixtures.HelloV1, appspec.Options{Selector: map[string]string{"app": "greeter"}})
		Expect(e.Client.Create(ctx, app)).To(Succeed())
		Eventually(ctx, obs.AppPhase("greeter")).Should(Equal(wasmbedv1.AppPhaseRunning))

		By("when the Application's module is replaced by v2")
		Expect(e.Client.Get(ctx, client.ObjectKeyFromObject(app), app)).To(Succeed())
		app.Spec.Module.Inline = fixtures.HelloV2.Wasm()
		Expect(e.Client.Update(ctx, app)).To(Succeed())

		By("then every device runs v2 and the status reports the new generation")
		Eventually(ctx, obs.Application("greeter")).Should(And(
			HaveField("Status.ObservedGeneration", app.Generation),
			HaveField("Status.ModuleDigest", fixtures.HelloV2.Digest()),
			HaveField("Status.Phase", wasmbedv1.AppPhaseRunning)))
		for _, d := range devs {
			Expect(obs.DeviceApp(d.Name(), "greeter")(ctx)).To(HaveField("Digest", fixtures.HelloV2.Digest()))
			Eventually(d.Log).Should(ContainSubstring("hello v2"))
		}
	})

	It("stops and removes a deleted app from every device", func(ctx SpecContext) {
		By("given an app running on 2 devices")
		devs := connected(ctx, tb, "del", 2, map[string]string{"app": "doomed"})
		app := appspec.FromFixture(e.Namespace, "doomed", fixtures.Hello, appspec.Options{Selector: map[string]string{"app": "doomed"}})
		Expect(e.Client.Create(ctx, app)).To(Succeed())
		Eventually(ctx, obs.AppPhase("doomed")).Should(Equal(wasmbedv1.AppPhaseRunning))

		By("when the Application is deleted")
		Expect(e.Client.Delete(ctx, app)).To(Succeed())

		By("then the finalizer holds it until the app stopped everywhere, and nothing is left on the devices")
		Eventually(ctx, func(ctx context.Context) bool {
			err := e.Client.Get(ctx, client.ObjectKeyFromObject(app), &wasmbedv1.Application{})
			return apierrors.IsNotFound(err)
		}).Should(BeTrue(), "the finalizer lets the Application go once the app stopped everywhere")
		for _, d := range devs {
			Expect(obs.AppCount(d.Name())(ctx)).To(BeZero())
			Expect(d.Log()).To(MatchRegexp(`msg="app stopped" .*app=doomed`))
			names, err := d.Flash().List("apps")
			Expect(err).NotTo(HaveOccurred())
			Expect(names).To(BeEmpty(), "removed from flash too")
		}
	})

	It("delivers an app to a device that was offline at deploy time when it reconnects", func(ctx SpecContext) {
		By("given a device that enrolled and then went offline")
		d := connected(ctx, tb, "away", 1, nil)[0]
		Expect(d.Stop(ctx)).To(Succeed())
		Eventually(ctx, obs.DevicePhase(d.Name())).Should(Equal(wasmbedv1.DeviceDisconnected))

		By("when an Application names it, the rollout waits for it and says so")
		app := appspec.FromFixture(e.Namespace, "later", fixtures.Hello, appspec.Options{Devices: []string{d.Name()}})
		Expect(e.Client.Create(ctx, app)).To(Succeed())
		Eventually(ctx, obs.Application("later")).Should(And(
			HaveField("Status.Phase", wasmbedv1.AppPhaseDeploying),
			HaveField("Status.Devices", ContainElement(HaveField("Message", ContainSubstring("Disconnected"))))))

		By("then the app runs once the device is back")
		Expect(d.Start(ctx)).To(Succeed())
		Eventually(ctx, obs.AppPhase("later")).Should(Equal(wasmbedv1.AppPhaseRunning))
	})

	rollout := func(ctx context.Context, disrupt func()) {
		n := 5
		if !b.fleets {
			n = 2
		}
		By("given connected devices selected by an Application about to roll out")
		devs := connected(ctx, tb, "roll", n, map[string]string{"app": "roll"})
		app := appspec.FromFixture(e.Namespace, "roll", fixtures.Counter, appspec.Options{Selector: map[string]string{"app": "roll"}})
		Expect(e.Client.Create(ctx, app)).To(Succeed())

		By("when the SUT is disrupted mid-rollout")
		disrupt()

		By("then the rollout completes, each device installed the app once and runs it once")
		Eventually(ctx, obs.AppPhase("roll"), scaled(60*time.Second)).Should(Equal(wasmbedv1.AppPhaseRunning))
		for _, d := range devs {
			dev, err := obs.Device(d.Name())(ctx)
			Expect(err).NotTo(HaveOccurred())
			Expect(dev.Status.Apps).To(HaveLen(1), "nothing duplicated")
			Expect(dev.Status.Apps[0].Digest).To(Equal(fixtures.Counter.Digest()))
			Expect(regexp.MustCompile(`msg="app installed" .*app=roll`).FindAllString(d.Log(), -1)).To(HaveLen(1), "installed once on %s", d.Name())
		}
	}

	It("completes a rollout through a gateway restart", func(ctx SpecContext) {
		rollout(ctx, func() { Expect(tb.SUT.Gateway("").Restart(ctx)).To(Succeed()) })
	})

	It("completes a rollout through a controller restart", func(ctx SpecContext) {
		rollout(ctx, func() {
			c := tb.SUT.Controllers[0]
			c.Kill()
			Expect(c.Start(ctx, false)).To(Succeed())
		})
	})

	DescribeTable("contains a bad app: the reason is in its status, the device stays Connected, a good app keeps running",
		func(ctx SpecContext, fx fixtures.Name, opts appspec.Options) {
			By("given a device running a good app")
			d := connected(ctx, tb, "host", 1, nil)[0]
			// The good app persists its counter with an fsync per tick; give it
			// room on a loaded machine so only the bad app fails.
			good := appspec.FromFixture(e.Namespace, "counter", fixtures.Counter, appspec.Options{Devices: []string{d.Name()}, MaxExecution: 5 * time.Second})
			Expect(e.Client.Create(ctx, good)).To(Succeed())
			Eventually(ctx, obs.AppState(d.Name(), "counter")).Should(Equal(wasmbedv1.AppRunning))

			By("when a bad app is deployed beside it")
			opts.Devices = []string{d.Name()}
			bad := appspec.FromFixture(e.Namespace, "bad", fx, opts)
			Expect(e.Client.Create(ctx, bad)).To(Succeed())

			By("then the bad app's reason is in the Device's and the Application's status")
			want := string(fixtures.Get(fx).Reason)
			Eventually(ctx, obs.DeviceApp(d.Name(), "bad"), scaled(30*time.Second)).Should(HaveField("Reason", want))
			Eventually(ctx, obs.Application("bad"), scaled(30*time.Second)).Should(
				HaveField("Status.Devices", ContainElement(And(HaveField("Name", d.Name()), HaveField("Reason", want)))))
			if fx == fixtures.Truncated {
				Expect(d.Log()).NotTo(ContainSubstring("app=bad"), "an invalid module never reaches the device")
			}

			By("and the good app keeps counting on a device that stays Connected")
			before := lastCount(d)()
			Eventually(lastCount(d), scaled(10*time.Second)).Should(BeNumerically(">=", before+3), "the good app keeps counting")
			Expect(obs.DevicePhase(d.Name())(ctx)).To(Equal(wasmbedv1.DeviceConnected))
			Expect(obs.AppState(d.Name(), "counter")(ctx)).To(Equal(wasmbedv1.AppRunning))
		},
		Entry("an infinite loop (timeout)", fixtures.Loop, appspec.Options{MaxExecution: 100 * time.Millisecond, MaxRestarts: ptr32(1)}),
		Entry("a memory bomb (memory limit)", fixtures.MemBomb, appspec.Options{MaxMemoryPages: 4, MaxRestarts: ptr32(1)}),
		Entry("unbounded recursion (trap)", fixtures.Recursion, appspec.Options{MaxRestarts: ptr32(1)}),
		Entry("an import of an unknown host function", fixtures.UnknownImport, appspec.Options{}),
		Entry("a truncated module (invalid)", fixtures.Truncated, appspec.Options{}),
	)

	It("sends a large module in chunks from a ConfigMap", func(ctx SpecContext) {
		By("given a connected device and a module over the inline limit in a ConfigMap")
		d := connected(ctx, tb, "big", 1, nil)[0]
		mod := fixtures.Large.Wasm()
		Expect(len(mod)).To(BeNumerically(">", wasmbedv1.MaxInlineModuleBytes))
		cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: e.Namespace, Name: "big"}, BinaryData: map[string][]byte{"app.wasm": mod}}
		Expect(e.Client.Create(ctx, cm)).To(Succeed())

		By("when an Application refers to it by digest")
		sum := sha256.Sum256(mod)
		app := appspec.FromFixture(e.Namespace, "big", fixtures.Large, appspec.Options{Devices: []string{d.Name()}})
		app.Spec.Module = wasmbedv1.ModuleSource{ConfigMapRef: &wasmbedv1.KeyReference{Name: "big", Key: "app.wasm"}, SHA256: hex.EncodeToString(sum[:])}
		Expect(e.Client.Create(ctx, app)).To(Succeed())

		By("then the device runs it, and the gateway sent every byte once")
		Eventually(ctx, obs.AppPhase("big")).Should(Equal(wasmbedv1.AppPhaseRunning))
		Eventually(d.Log).Should(ContainSubstring(fixtures.Get(fixtures.Large).LogLine))
		sent, err := tb.SUT.Gateway("").Metric(ctx, "wasmbed_gateway_module_bytes_sent_total", nil)
		Expect(err).NotTo(HaveOccurred())
		Expect(sent).To(BeEquivalentTo(len(mod)))
	})

	It("runs its apps again after a reboot without a re-send", func(ctx SpecContext) {
		By("given a device running the counter app, which persists its count")
		d := connected(ctx, tb, "reboot", 1, nil)[0]
		app := appspec.FromFixture(e.Namespace, "counter", fixtures.Counter, appspec.Options{Devices: []string{d.Name()}})
		Expect(e.Client.Create(ctx, app)).To(Succeed())
		Eventually(ctx, obs.AppPhase("counter")).Should(Equal(wasmbedv1.AppPhaseRunning))
		Eventually(lastCount(d)).Should(BeNumerically(">=", 2))
		gw := tb.SUT.Gateway("")
		sentBefore, err := gw.Metric(ctx, "wasmbed_gateway_module_bytes_sent_total", nil)
		Expect(err).NotTo(HaveOccurred())
		Expect(sentBefore).To(BeNumerically(">", 0))

		By("when the device reboots")
		Expect(d.Stop(ctx)).To(Succeed())
		countBefore := lastCount(d)() // the device is down: its log is complete
		restores := func() int { return len(counterRestoredRE.FindAllString(d.Log(), -1)) }
		restoresBefore := restores()
		Expect(d.Start(ctx)).To(Succeed())

		By("then it restores the app from flash, the counter resumes from its persisted value, and nothing is sent again")
		Eventually(ctx, obs.DevicePhase(d.Name())).Should(Equal(wasmbedv1.DeviceConnected))
		Eventually(restores).Should(Equal(restoresBefore+1), "the app restored from flash")
		// The app persists before it logs, so the count it persisted last is
		// the last one logged or, if the stop fell between the two, one more.
		// A counter that restarted from zero would log 1 first.
		Eventually(firstCountAfterRestore(d)).Should(BeNumerically(">", 0), "the restored app logs a count")
		Expect(firstCountAfterRestore(d)()).To(And(BeNumerically(">", countBefore), BeNumerically("<=", countBefore+2)),
			"the counter resumes from its persisted value (%d logged before the reboot)", countBefore)
		Consistently(ctx, func(ctx context.Context) (float64, error) {
			return gw.Metric(ctx, "wasmbed_gateway_module_bytes_sent_total", nil)
		}, 2*time.Second).Should(Equal(sentBefore), "nothing was sent again")
	})
})

func ptr32(v int32) *int32 { return &v }
