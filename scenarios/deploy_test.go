package scenarios

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"
	"strconv"
	"sync"
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

// connectedDevices starts n token-enrolled devices named prefix-NN in
// parallel, labels them, and waits until all are Connected.
func connectedDevices(ctx context.Context, e *env.Env, tb *testbed.Testbed, prefix string, n int, labels map[string]string) []*testbed.Device {
	GinkgoHelper()
	devs := make([]*testbed.Device, n)
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			d, err := tb.NewDevice(ctx, fmt.Sprintf("%s-%02d", prefix, i), testbed.DeviceOptions{Token: true})
			devs[i] = d
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		Expect(err).NotTo(HaveOccurred())
	}
	for _, d := range devs {
		Eventually(ctx, observe.DevicePhase(e.Client, e.Namespace, d.Name()), 60*time.Second).Should(Equal(wasmbedv1.DeviceConnected))
		if labels != nil {
			dev := &wasmbedv1.Device{}
			Expect(e.Client.Get(ctx, client.ObjectKey{Namespace: e.Namespace, Name: d.Name()}, dev)).To(Succeed())
			patch := client.MergeFrom(dev.DeepCopy())
			dev.Labels = labels
			Expect(e.Client.Patch(ctx, dev, patch)).To(Succeed())
		}
	}
	return devs
}

// appState polls one app's state on one device, from the Device status.
func appState(e *env.Env, device, app string) func(context.Context) (wasmbedv1.AppState, error) {
	return func(ctx context.Context) (wasmbedv1.AppState, error) {
		a, err := observe.DeviceApp(e.Client, e.Namespace, device, app)(ctx)
		return a.State, err
	}
}

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

var _ = forEachBackend("Deploy", Label("deploy"), func(b deviceBackend) {
	var (
		e  *env.Env
		tb *testbed.Testbed
	)
	BeforeEach(func(ctx SpecContext) {
		e, tb = b.newTestbed(ctx)
	})

	It("deploys an app to one device and reports it Running", Label("smoke"), func(ctx SpecContext) {
		d := connectedDevices(ctx, e, tb, "solo", 1, nil)[0]
		app := appspec.FromFixture(e.Namespace, "hello", fixtures.Hello, appspec.Options{Devices: []string{d.Name()}})
		Expect(e.Client.Create(ctx, app)).To(Succeed())
		Eventually(ctx, observe.AppPhase(e.Client, e.Namespace, "hello")).Should(Equal(wasmbedv1.AppPhaseRunning))
		Eventually(d.Log).Should(ContainSubstring(fixtures.Get(fixtures.Hello).LogLine))
		st, err := observe.DeviceApp(e.Client, e.Namespace, d.Name(), "hello")(ctx)
		Expect(err).NotTo(HaveOccurred())
		Expect(st.State).To(Equal(wasmbedv1.AppRunning))
		Expect(st.Digest).To(Equal(fixtures.Hello.Digest()))
		got, err := observe.Application(e.Client, e.Namespace, "hello")(ctx)
		Expect(err).NotTo(HaveOccurred())
		Expect(got.Status.Counts).To(Equal(wasmbedv1.ApplicationCounts{Targeted: 1, Running: 1}))
		Expect(got.Status.ObservedGeneration).To(Equal(got.Generation))
	})

	if !b.heavy {
		It("deploys to the 20 devices a label selects, and only to them", Label("scale"), func(ctx SpecContext) {
			connectedDevices(ctx, e, tb, "fleet", 20, map[string]string{"fleet": "blue"})
			connectedDevices(ctx, e, tb, "other", 2, map[string]string{"fleet": "green"})
			app := appspec.FromFixture(e.Namespace, "hello", fixtures.Hello, appspec.Options{Selector: map[string]string{"fleet": "blue"}})
			Expect(e.Client.Create(ctx, app)).To(Succeed())
			Eventually(ctx, observe.AppPhase(e.Client, e.Namespace, "hello"), 60*time.Second).Should(Equal(wasmbedv1.AppPhaseRunning))
			got, err := observe.Application(e.Client, e.Namespace, "hello")(ctx)
			Expect(err).NotTo(HaveOccurred())
			Expect(got.Status.Counts.Running).To(BeEquivalentTo(20))
			for _, n := range []string{"other-00", "other-01"} {
				Consistently(ctx, observe.AppCount(e.Client, e.Namespace, n), time.Second).Should(BeZero())
			}
		})
	}

	It("explains an app that targets no device", func(ctx SpecContext) {
		app := appspec.FromFixture(e.Namespace, "lonely", fixtures.Hello, appspec.Options{Selector: map[string]string{"fleet": "none"}})
		Expect(e.Client.Create(ctx, app)).To(Succeed())
		Eventually(ctx, observe.Application(e.Client, e.Namespace, "lonely")).Should(And(
			HaveField("Status.Phase", wasmbedv1.AppPhasePending),
			HaveField("Status.Conditions", ContainElement(And(
				HaveField("Type", wasmbedv1.ConditionScheduled),
				HaveField("Reason", "NoTargets"),
				HaveField("Message", ContainSubstring("no Device matches")))))))
	})

	It("rolls an update out to every target", func(ctx SpecContext) {
		devs := connectedDevices(ctx, e, tb, "upd", 3, map[string]string{"app": "greeter"})
		app := appspec.FromFixture(e.Namespace, "greeter", fixtures.HelloV1, appspec.Options{Selector: map[string]string{"app": "greeter"}})
		Expect(e.Client.Create(ctx, app)).To(Succeed())
		Eventually(ctx, observe.AppPhase(e.Client, e.Namespace, "greeter")).Should(Equal(wasmbedv1.AppPhaseRunning))

		Expect(e.Client.Get(ctx, client.ObjectKeyFromObject(app), app)).To(Succeed())
		app.Spec.Module.Inline = fixtures.HelloV2.Wasm()
		Expect(e.Client.Update(ctx, app)).To(Succeed())
		Eventually(ctx, observe.Application(e.Client, e.Namespace, "greeter")).Should(And(
			HaveField("Status.ObservedGeneration", app.Generation),
			HaveField("Status.ModuleDigest", fixtures.HelloV2.Digest()),
			HaveField("Status.Phase", wasmbedv1.AppPhaseRunning)))
		for _, d := range devs {
			Expect(observe.DeviceApp(e.Client, e.Namespace, d.Name(), "greeter")(ctx)).To(HaveField("Digest", fixtures.HelloV2.Digest()))
			Eventually(d.Log).Should(ContainSubstring("hello v2"))
		}
	})

	It("stops and removes a deleted app from every device", func(ctx SpecContext) {
		devs := connectedDevices(ctx, e, tb, "del", 2, map[string]string{"app": "doomed"})
		app := appspec.FromFixture(e.Namespace, "doomed", fixtures.Hello, appspec.Options{Selector: map[string]string{"app": "doomed"}})
		Expect(e.Client.Create(ctx, app)).To(Succeed())
		Eventually(ctx, observe.AppPhase(e.Client, e.Namespace, "doomed")).Should(Equal(wasmbedv1.AppPhaseRunning))
		Expect(e.Client.Delete(ctx, app)).To(Succeed())
		Eventually(ctx, func(ctx context.Context) bool {
			err := e.Client.Get(ctx, client.ObjectKeyFromObject(app), &wasmbedv1.Application{})
			return apierrors.IsNotFound(err)
		}).Should(BeTrue(), "the finalizer lets the Application go once the app stopped everywhere")
		for _, d := range devs {
			Expect(observe.AppCount(e.Client, e.Namespace, d.Name())(ctx)).To(BeZero())
			Expect(d.Log()).To(MatchRegexp(`msg="app stopped" .*app=doomed`))
			names, err := d.Flash().List("apps")
			Expect(err).NotTo(HaveOccurred())
			Expect(names).To(BeEmpty(), "removed from flash too")
		}
	})

	It("delivers an app to a device that was offline at deploy time when it reconnects", func(ctx SpecContext) {
		d := connectedDevices(ctx, e, tb, "away", 1, nil)[0]
		Expect(d.Stop(ctx)).To(Succeed())
		Eventually(ctx, observe.DevicePhase(e.Client, e.Namespace, d.Name())).Should(Equal(wasmbedv1.DeviceDisconnected))
		app := appspec.FromFixture(e.Namespace, "later", fixtures.Hello, appspec.Options{Devices: []string{d.Name()}})
		Expect(e.Client.Create(ctx, app)).To(Succeed())
		Eventually(ctx, observe.Application(e.Client, e.Namespace, "later")).Should(And(
			HaveField("Status.Phase", wasmbedv1.AppPhaseDeploying),
			HaveField("Status.Devices", ContainElement(HaveField("Message", ContainSubstring("Disconnected"))))))
		Expect(d.Start(ctx)).To(Succeed())
		Eventually(ctx, observe.AppPhase(e.Client, e.Namespace, "later")).Should(Equal(wasmbedv1.AppPhaseRunning))
	})

	rollout := func(ctx context.Context, disrupt func()) {
		n := 5
		if b.heavy {
			n = 2
		}
		devs := connectedDevices(ctx, e, tb, "roll", n, map[string]string{"app": "roll"})
		app := appspec.FromFixture(e.Namespace, "roll", fixtures.Counter, appspec.Options{Selector: map[string]string{"app": "roll"}})
		Expect(e.Client.Create(ctx, app)).To(Succeed())
		disrupt()
		Eventually(ctx, observe.AppPhase(e.Client, e.Namespace, "roll"), 60*time.Second).Should(Equal(wasmbedv1.AppPhaseRunning))
		for _, d := range devs {
			dev, err := observe.Device(e.Client, e.Namespace, d.Name())(ctx)
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
			d := connectedDevices(ctx, e, tb, "host", 1, nil)[0]
			// The good app persists its counter with an fsync per tick; give it
			// room on a loaded machine so only the bad app fails.
			good := appspec.FromFixture(e.Namespace, "counter", fixtures.Counter, appspec.Options{Devices: []string{d.Name()}, MaxExecution: 5 * time.Second})
			Expect(e.Client.Create(ctx, good)).To(Succeed())
			Eventually(ctx, appState(e, d.Name(), "counter")).Should(Equal(wasmbedv1.AppRunning))

			opts.Devices = []string{d.Name()}
			bad := appspec.FromFixture(e.Namespace, "bad", fx, opts)
			Expect(e.Client.Create(ctx, bad)).To(Succeed())
			want := string(fixtures.Get(fx).Reason)
			Eventually(ctx, observe.DeviceApp(e.Client, e.Namespace, d.Name(), "bad"), 30*time.Second).Should(HaveField("Reason", want))
			Eventually(ctx, observe.Application(e.Client, e.Namespace, "bad"), 30*time.Second).Should(
				HaveField("Status.Devices", ContainElement(And(HaveField("Name", d.Name()), HaveField("Reason", want)))))
			if fx == fixtures.Truncated {
				Expect(d.Log()).NotTo(ContainSubstring("app=bad"), "an invalid module never reaches the device")
			}

			before := lastCount(d)()
			Eventually(lastCount(d), 10*time.Second).Should(BeNumerically(">=", before+3), "the good app keeps counting")
			Expect(observe.DevicePhase(e.Client, e.Namespace, d.Name())(ctx)).To(Equal(wasmbedv1.DeviceConnected))
			Expect(appState(e, d.Name(), "counter")(ctx)).To(Equal(wasmbedv1.AppRunning))
		},
		Entry("an infinite loop (timeout)", fixtures.Loop, appspec.Options{MaxExecution: 100 * time.Millisecond, MaxRestarts: ptr32(1)}),
		Entry("a memory bomb (memory limit)", fixtures.MemBomb, appspec.Options{MaxMemoryPages: 4, MaxRestarts: ptr32(1)}),
		Entry("unbounded recursion (trap)", fixtures.Recursion, appspec.Options{MaxRestarts: ptr32(1)}),
		Entry("an import of an unknown host function", fixtures.UnknownImport, appspec.Options{}),
		Entry("a truncated module (invalid)", fixtures.Truncated, appspec.Options{}),
	)

	It("sends a large module in chunks from a ConfigMap", func(ctx SpecContext) {
		d := connectedDevices(ctx, e, tb, "big", 1, nil)[0]
		mod := fixtures.Large.Wasm()
		Expect(len(mod)).To(BeNumerically(">", wasmbedv1.MaxInlineModuleBytes))
		cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: e.Namespace, Name: "big"}, BinaryData: map[string][]byte{"app.wasm": mod}}
		Expect(e.Client.Create(ctx, cm)).To(Succeed())
		sum := sha256.Sum256(mod)
		app := appspec.FromFixture(e.Namespace, "big", fixtures.Large, appspec.Options{Devices: []string{d.Name()}})
		app.Spec.Module = wasmbedv1.ModuleSource{ConfigMapRef: &wasmbedv1.KeyReference{Name: "big", Key: "app.wasm"}, SHA256: hex.EncodeToString(sum[:])}
		Expect(e.Client.Create(ctx, app)).To(Succeed())
		Eventually(ctx, observe.AppPhase(e.Client, e.Namespace, "big")).Should(Equal(wasmbedv1.AppPhaseRunning))
		Eventually(d.Log).Should(ContainSubstring(fixtures.Get(fixtures.Large).LogLine))
		sent, err := tb.SUT.Gateway("").Metric(ctx, "wasmbed_gateway_module_bytes_sent_total", nil)
		Expect(err).NotTo(HaveOccurred())
		Expect(sent).To(BeEquivalentTo(len(mod)))
	})

	It("runs its apps again after a reboot without a re-send", func(ctx SpecContext) {
		d := connectedDevices(ctx, e, tb, "reboot", 1, nil)[0]
		app := appspec.FromFixture(e.Namespace, "counter", fixtures.Counter, appspec.Options{Devices: []string{d.Name()}})
		Expect(e.Client.Create(ctx, app)).To(Succeed())
		Eventually(ctx, observe.AppPhase(e.Client, e.Namespace, "counter")).Should(Equal(wasmbedv1.AppPhaseRunning))
		Eventually(lastCount(d)).Should(BeNumerically(">=", 2))
		gw := tb.SUT.Gateway("")
		sentBefore, err := gw.Metric(ctx, "wasmbed_gateway_module_bytes_sent_total", nil)
		Expect(err).NotTo(HaveOccurred())
		Expect(sentBefore).To(BeNumerically(">", 0))

		countBefore := lastCount(d)()
		Expect(d.Stop(ctx)).To(Succeed())
		Expect(d.Start(ctx)).To(Succeed())
		Eventually(ctx, observe.DevicePhase(e.Client, e.Namespace, d.Name())).Should(Equal(wasmbedv1.DeviceConnected))
		Eventually(d.Log).Should(MatchRegexp(`msg="app restored" .*app=counter`))
		Eventually(lastCount(d)).Should(BeNumerically(">", countBefore), "the counter resumes from its persisted value")
		Consistently(ctx, func(ctx context.Context) (float64, error) {
			return gw.Metric(ctx, "wasmbed_gateway_module_bytes_sent_total", nil)
		}, 2*time.Second).Should(Equal(sentBefore), "nothing was sent again")
	})
})

func ptr32(v int32) *int32 { return &v }
