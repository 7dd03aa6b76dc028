package scenarios

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	fixtures "github.com/wasmbed/wasmbed/fixtures/apps"
	"github.com/wasmbed/wasmbed/harness/appspec"
	"github.com/wasmbed/wasmbed/harness/env"
	"github.com/wasmbed/wasmbed/harness/fleet"
	"github.com/wasmbed/wasmbed/harness/observe"
	"github.com/wasmbed/wasmbed/harness/testbed"
	"github.com/wasmbed/wasmbed/harness/tokens"
	wasmbedv1 "github.com/wasmbed/wasmbed/sut/api/v1alpha1"
)

// guest returns the QEMU device behind a testbed device.
func guest(d *testbed.Device) *fleet.QEMUDevice {
	GinkgoHelper()
	q, ok := d.Device.(*fleet.QEMUDevice)
	Expect(ok).To(BeTrue(), "a QEMU device")
	return q
}

var restoredRE = regexp.MustCompile(`msg="app restored" .*app=greeter digest=([0-9a-f]+)`)

var _ = Describe("QEMU devices", Label("qemu"), func() {
	var (
		e  *env.Env
		tb *testbed.Testbed
	)
	BeforeEach(func(ctx SpecContext) {
		e, tb = newTestbed(ctx, testbed.Options{Backend: "qemu"})
	})

	for _, profile := range []string{"arm64-virt", "riscv64-virt", "x86_64-microvm"} {
		It("enrols a "+profile+" guest, runs the hello app and reports it Running, and survives a runaway recursion", func(ctx SpecContext) {
			d, err := tb.NewDevice(ctx, "guest", testbed.DeviceOptions{Token: true, Profile: profile})
			Expect(err).NotTo(HaveOccurred())
			Eventually(ctx, observe.DevicePhase(e.Client, e.Namespace, "guest"), time.Minute).Should(Equal(wasmbedv1.DeviceConnected))
			dev, err := observe.Device(e.Client, e.Namespace, "guest")(ctx)
			Expect(err).NotTo(HaveOccurred())
			Expect(dev.Spec.Profile).To(Equal(profile))
			app := appspec.FromFixture(e.Namespace, "hello", fixtures.Hello, appspec.Options{Devices: []string{"guest"}})
			Expect(e.Client.Create(ctx, app)).To(Succeed())
			Eventually(ctx, observe.AppPhase(e.Client, e.Namespace, "hello"), time.Minute).Should(Equal(wasmbedv1.AppPhaseRunning))
			Eventually(d.Log).Should(ContainSubstring(fixtures.Get(fixtures.Hello).LogLine))

			By("unbounded recursion fails the app, not the guest: its stack is bounded on every profile")
			bomb := appspec.FromFixture(e.Namespace, "recursion", fixtures.Recursion, appspec.Options{Devices: []string{"guest"}, MaxRestarts: ptr32(0)})
			Expect(e.Client.Create(ctx, bomb)).To(Succeed())
			Eventually(ctx, observe.DeviceApp(e.Client, e.Namespace, "guest", "recursion"), time.Minute).Should(HaveField("Reason", string(fixtures.Get(fixtures.Recursion).Reason)))
			Consistently(ctx, observe.DevicePhase(e.Client, e.Namespace, "guest"), 2*time.Second).Should(Equal(wasmbedv1.DeviceConnected))
			Expect(observe.DeviceApp(e.Client, e.Namespace, "guest", "hello")(ctx)).To(HaveField("State", wasmbedv1.AppRunning))
		})
	}

	It("runs 8 mixed guests at once", Label("scale"), func(ctx SpecContext) {
		var wg sync.WaitGroup
		errs := make(chan error, 8)
		for i := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := tb.NewDevice(ctx, fmt.Sprintf("mix-%d", i), testbed.DeviceOptions{Token: true})
				errs <- err
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			Expect(err).NotTo(HaveOccurred())
		}
		Eventually(ctx, observe.PhaseCounts(e.Client, e.Namespace), 3*time.Minute).Should(HaveKeyWithValue(wasmbedv1.DeviceConnected, 8))
		devs, err := observe.Devices(e.Client, e.Namespace)(ctx)
		Expect(err).NotTo(HaveOccurred())
		profiles := map[string]int{}
		for _, d := range devs {
			profiles[d.Spec.Profile]++
		}
		Expect(profiles).To(HaveLen(3), "all three profiles: %v", profiles)
	})

	It("keeps its identity across a reboot: no re-enrolment, the same Device", func(ctx SpecContext) {
		d, uid := connectedDevice(ctx, e, tb, "stable")
		key := fleet.PublicKey(d)
		Expect(guest(d).Guest().Reset(ctx)).To(Succeed())
		Eventually(d.Log).Should(MatchRegexp(`device starting.*enrolled=true`))
		Eventually(ctx, observe.DevicePhase(e.Client, e.Namespace, "stable"), time.Minute).Should(Equal(wasmbedv1.DeviceConnected))
		dev, err := observe.Device(e.Client, e.Namespace, "stable")(ctx)
		Expect(err).NotTo(HaveOccurred())
		Expect(dev.UID).To(Equal(uid))
		Expect(dev.Spec.PublicKey).To(Equal(key))
		Expect(strings.Count(d.Log(), "msg=enrolled")).To(Equal(1), "enrolled once, before the reboot")
		accepted, err := tb.SUT.Gateway("").Metric(ctx, "wasmbed_gateway_enrollments_total", map[string]string{"result": "accepted"})
		Expect(err).NotTo(HaveOccurred())
		Expect(accepted).To(BeEquivalentTo(1))
	})

	It("survives a power cut during an app install with the old or the new version intact, then converges", func(ctx SpecContext) {
		d, _ := connectedDevice(ctx, e, tb, "flaky")
		app := appspec.FromFixture(e.Namespace, "greeter", fixtures.HelloV1, appspec.Options{Devices: []string{"flaky"}})
		Expect(e.Client.Create(ctx, app)).To(Succeed())
		Eventually(ctx, observe.AppPhase(e.Client, e.Namespace, "greeter"), time.Minute).Should(Equal(wasmbedv1.AppPhaseRunning))

		// v2 is a 300 KiB module: seconds on a serial line, time to pull the plug.
		v2 := fixtures.Large.Wasm()
		sum := sha256.Sum256(v2)
		v2Digest := hex.EncodeToString(sum[:])
		cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: e.Namespace, Name: "v2"}, BinaryData: map[string][]byte{"app.wasm": v2}}
		Expect(e.Client.Create(ctx, cm)).To(Succeed())
		Expect(e.Client.Get(ctx, client.ObjectKeyFromObject(app), app)).To(Succeed())
		app.Spec.Module = wasmbedv1.ModuleSource{ConfigMapRef: &wasmbedv1.KeyReference{Name: "v2", Key: "app.wasm"}, SHA256: v2Digest}
		Expect(e.Client.Update(ctx, app)).To(Succeed())
		gwLog := func() string { return readFile(tb.SUT.Gateway("").LogPath()) }
		Eventually(gwLog).Should(MatchRegexp(`msg="app sent" .*app=greeter digest=` + v2Digest[:12]))
		d.Kill()

		Expect(d.Start(ctx)).To(Succeed())
		Eventually(d.Log, time.Minute).Should(MatchRegexp(`msg="app restored" .*app=greeter`))
		restored := restoredRE.FindAllStringSubmatch(d.Log(), -1)
		Expect(restored).NotTo(BeEmpty())
		got := restored[len(restored)-1][1]
		Expect(got).To(BeElementOf(fixtures.HelloV1.Digest(), v2Digest), "after the power cut the app is one version or the other, never torn")
		AddReportEntry("version after the power cut", got[:12])
		Eventually(ctx, observe.DeviceApp(e.Client, e.Namespace, "flaky", "greeter"), 2*time.Minute).Should(And(
			HaveField("Digest", v2Digest), HaveField("State", wasmbedv1.AppRunning)))
	})

	It("re-enrols after a factory reset only with a fresh token", func(ctx SpecContext) {
		d, uid := connectedDevice(ctx, e, tb, "reborn")
		oldKey := fleet.PublicKey(d)
		q := guest(d)
		Expect(d.Stop(ctx)).To(Succeed())
		Expect(q.Guest().FactoryReset(ctx)).To(Succeed())
		Expect(d.Start(ctx)).To(Succeed())
		By("the spent token left in its provisioning is refused")
		Eventually(d.Log, time.Minute).Should(ContainSubstring("reason=token_reused"))
		Expect(observe.Devices(e.Client, e.Namespace)(ctx)).To(HaveLen(1))

		By("a fresh token bound to its name lets it back in, with its new key")
		Expect(d.Stop(ctx)).To(Succeed())
		ca, err := tb.CABundle(ctx)
		Expect(err).NotTo(HaveOccurred())
		tok, err := tokens.Create(ctx, e.Client, e.Namespace, tokens.Options{DeviceName: "reborn"})
		Expect(err).NotTo(HaveOccurred())
		Expect(q.Reprovision(ctx, ca, tok)).To(Succeed())
		Expect(d.Start(ctx)).To(Succeed())
		Eventually(ctx, observe.DevicePhase(e.Client, e.Namespace, "reborn"), time.Minute).Should(Equal(wasmbedv1.DeviceConnected))
		dev, err := observe.Device(e.Client, e.Namespace, "reborn")(ctx)
		Expect(err).NotTo(HaveOccurred())
		Expect(dev.Spec.PublicKey).NotTo(Equal(oldKey), "a wiped device has a new key")
		Expect(dev.UID).To(Equal(uid), "the same Device, re-keyed")
	})

	It("goes Disconnected when its serial link is cut and Connected when it is restored", func(ctx SpecContext) {
		d, _ := connectedDevice(ctx, e, tb, "wired")
		g := guest(d).Guest()
		g.Cut()
		Eventually(ctx, observe.DevicePhase(e.Client, e.Namespace, "wired"), 30*time.Second).Should(Equal(wasmbedv1.DeviceDisconnected))
		g.Restore()
		Eventually(ctx, observe.DevicePhase(e.Client, e.Namespace, "wired"), time.Minute).Should(Equal(wasmbedv1.DeviceConnected))
	})
})
