package scenarios

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"strings"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	fixtures "github.com/wasmbed/wasmbed/fixtures/apps"
	"github.com/wasmbed/wasmbed/harness/appspec"
	"github.com/wasmbed/wasmbed/harness/attack"
	"github.com/wasmbed/wasmbed/harness/env"
	"github.com/wasmbed/wasmbed/harness/fleet"
	"github.com/wasmbed/wasmbed/harness/observe"
	"github.com/wasmbed/wasmbed/harness/sutproc"
	"github.com/wasmbed/wasmbed/harness/testbed"
	wasmbedv1 "github.com/wasmbed/wasmbed/sut/api/v1alpha1"
)

// The security scenario: one fleet of 20 legitimate devices heartbeats and
// runs an app while every attack of the catalogue (harness/attack) runs in
// turn against the same gateway. Each attack must be refused with its
// reason code in the gateway's log and metric (or the device's log, or the
// API server's 403s), cost the fleet nothing — no missed heartbeat, no
// phase change — and leave no stray object and no goroutine or descriptor
// behind in the gateway.

const (
	legitDevices = 20
	// gatewayCap and handshakeTimeout make the slowloris and connection-cap
	// attacks cheap to stage; the 20 devices and the two targets hold 22
	// of the 64 slots.
	gatewayCap       = 64
	handshakeTimeout = 2 * time.Second
	// perSourceLimit is the gateway's enrolment rate limit per address: a
	// burst of 40 lets the fleet enrol at once from the link proxies'
	// address; a flood from one address exceeds it.
	perSourceLimit = 120
	// leakSlack is how many goroutines and descriptors above its baseline
	// a gateway may settle at: informers, keep-alive scrapes and timers come
	// and go; a leak per connection would be dozens.
	leakSlack = 8
)

var _ = Describe("Security", Label("security"), Ordered, ContinueOnFailure, func() {
	var (
		e         *env.Env
		tb        *testbed.Testbed
		gw        *sutproc.Gateway
		target    *attack.Target
		beats     = newHeartbeatWatch()
		phases    *phaseWatch
		devices   = map[string]*testbed.Device{}
		legit     []string
		baseline  gatewayLoad
		anyFailed bool
	)

	BeforeAll(func(ctx SpecContext) {
		var err error
		e, err = suite.NewEnv(ctx, "security")
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(func(ctx SpecContext) {
			if phases != nil {
				phases.stop()
			}
			kept, err := e.Close(ctx, anyFailed || CurrentSpecReport().Failed())
			if kept != "" {
				AddReportEntry("artifacts", kept)
				GinkgoWriter.Printf("artifacts kept in %s\n", kept)
			}
			Expect(err).NotTo(HaveOccurred())
		}, NodeTimeout(2*time.Minute))

		_, signer := attack.NewKey()
		spec := sutproc.ScenarioTimings()
		spec.Enrollment.MaxPerSourcePerMinute = perSourceLimit
		spec.TrustedModuleKeys = []string{attack.TrustedKey(signer.Public().(ed25519.PublicKey))}
		tb, err = testbed.New(ctx, e, testbed.Options{
			Backend: "inprocess",
			Events:  beats.event,
			SUT: sutproc.Options{Gateways: []sutproc.GatewayOptions{{
				Name: "gw", Spec: spec, HandshakeTimeout: handshakeTimeout, MaxConnections: gatewayCap,
			}}},
		})
		Expect(err).NotTo(HaveOccurred())
		gw = tb.SUT.Gateway("")

		By("enrolling 20 legitimate devices and a device that requires signed modules")
		for i := range legitDevices {
			legit = append(legit, fmt.Sprintf("fleet-%02d", i))
		}
		beats.follow(legit...)
		names := append(append([]string(nil), legit...), "signed-00")
		var mu sync.Mutex
		var wg sync.WaitGroup
		errs := make(chan error, len(names))
		for _, n := range names {
			wg.Add(1)
			go func() {
				defer wg.Done()
				d, err := tb.NewDevice(ctx, n, testbed.DeviceOptions{Token: true})
				mu.Lock()
				devices[n] = d
				mu.Unlock()
				errs <- err
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			Expect(err).NotTo(HaveOccurred())
		}
		for _, n := range names {
			Eventually(ctx, observe.DevicePhase(e.Client, e.Namespace, n), 90*time.Second).Should(Equal(wasmbedv1.DeviceConnected), n)
		}

		By("running an app on the 20")
		for _, n := range legit {
			patchDevice(ctx, e, n, `{"metadata":{"labels":{"fleet":"legit"}}}`)
		}
		app := appspec.FromFixture(e.Namespace, "beacon", fixtures.Hello, appspec.Options{Selector: map[string]string{"fleet": "legit"}, Tick: time.Second})
		Expect(e.Client.Create(ctx, app)).To(Succeed())
		Eventually(ctx, observe.Application(e.Client, e.Namespace, "beacon"), 90*time.Second).Should(HaveField("Status.Counts.Running", BeEquivalentTo(legitDevices)))

		By("requiring signed modules on signed-00, and running one signed by the trusted key there")
		patchDevice(ctx, e, "signed-00", `{"spec":{"capabilities":{"requireSignedModules":true}}}`)
		signed := appspec.FromFixture(e.Namespace, "signed-ok", fixtures.Hello, appspec.Options{Devices: []string{"signed-00"}, Tick: time.Second})
		signed.Spec.Module.Signature = attack.SignModule(signer, fixtures.Hello.Wasm())
		Eventually(ctx, func(ctx context.Context) (wasmbedv1.Device, error) {
			d, err := observe.Device(e.Client, e.Namespace, "signed-00")(ctx)
			return *d, err
		}).Should(HaveField("Spec.Capabilities.RequireSignedModules", BeTrue()))
		Expect(e.Client.Create(ctx, signed)).To(Succeed())
		Eventually(ctx, observe.AppPhase(e.Client, e.Namespace, "signed-ok"), 60*time.Second).Should(Equal(wasmbedv1.AppPhaseRunning),
			"a device that requires signatures runs a module a trusted key signed: the refusals below are not a device refusing everything")

		phases, err = watchPhases(e.RESTConfig, e.Namespace, legit)
		Expect(err).NotTo(HaveOccurred())
		target = &attack.Target{
			Addr: gw.Addr, Gateway: gw.Name, Namespace: e.Namespace,
			Client: e.Client, RESTConfig: e.RESTConfig,
			HandshakeTimeout: handshakeTimeout, MaxConnections: gatewayCap,
			Victim: "fleet-01", VictimFlash: devices["fleet-01"].Flash(),
			AppDevice: "fleet-00", SignedDevice: "signed-00", ModuleSigner: signer,
			Metric: gw.Metric,
		}
		baseline = settledLoad(ctx, gw)
		AddReportEntry("gateway baseline", baseline.String())
	}, NodeTimeout(6*time.Minute))

	AfterEach(func() {
		if CurrentSpecReport().Failed() {
			anyFailed = true
		}
	})

	// fleetUnharmed checks the 20 legitimate devices since the last mark:
	// no session ended, no heartbeat ack later than the timeout, no phase
	// other than Connected, and their app still running.
	fleetUnharmed := func(ctx context.Context) {
		GinkgoHelper()
		device, gap, ended := beats.worst(time.Now())
		GinkgoWriter.Printf("fleet: longest wait for a heartbeat ack %s (%s)\n", gap.Round(time.Millisecond), device)
		Expect(ended).To(BeEmpty(), "a legitimate device's session ended or was refused")
		Expect(gap).To(BeNumerically("<", hbTimeout), "%s went %s without a heartbeat ack (timeout %s)", device, gap, hbTimeout)
		Expect(phases.departures()).To(BeEmpty(), "a legitimate device left Connected")
		counts, err := observe.PhaseCounts(e.Client, e.Namespace)(ctx)
		Expect(err).NotTo(HaveOccurred())
		Expect(counts[wasmbedv1.DeviceConnected]).To(BeNumerically(">=", legitDevices))
		Expect(observe.Application(e.Client, e.Namespace, "beacon")(ctx)).To(HaveField("Status.Counts.Running", BeEquivalentTo(legitDevices)))
	}

	logOf := func(who string) string {
		if who == "" {
			return readFile(gw.LogPath())
		}
		return devices[who].Log()
	}

	for _, a := range attack.Catalog() {
		It(fmt.Sprintf("refuses %s (%s: %s)", a.Name, a.Stage, a.Reason), func(ctx SpecContext) {
			before, err := objectNames(ctx, e.Client, e.Namespace)
			Expect(err).NotTo(HaveOccurred())
			refusals := func(ctx context.Context) (float64, error) {
				return gw.Metric(ctx, "wasmbed_gateway_refusals_total", map[string]string{"stage": string(a.Stage), "reason": string(a.Reason)})
			}
			counted, err := refusals(ctx)
			Expect(err).NotTo(HaveOccurred())
			load := settledLoad(ctx, gw)
			beats.mark()

			By(a.Does)
			out, err := a.Run(ctx, target)
			AddReportEntry("outcome", out.Detail)
			GinkgoWriter.Printf("%s: %s\n", a.Name, out.Detail)
			Expect(err).NotTo(HaveOccurred(), "the attack was not refused as the catalogue says")
			Expect(out.Refusals).To(BeNumerically(">=", 1))
			if a.Tells {
				Expect(out.Told).To(Equal(a.Reason), "the attacker is told why")
			}

			if a.Stage != attack.StageAPIServer {
				By(fmt.Sprintf("finding reason=%s in the log on %d lines with %v", a.Reason, out.Refusals, out.Evidence))
				want := append([]string{"reason=" + string(a.Reason)}, out.Evidence...)
				Eventually(func() int { return linesWithAll(logOf(out.LogOf), want) }).Should(BeNumerically(">=", out.Refusals))
			}
			if a.Counted() {
				By(fmt.Sprintf("counting it in wasmbed_gateway_refusals_total{stage=%q,reason=%q}", a.Stage, a.Reason))
				Eventually(ctx, refusals).Should(BeNumerically(">=", counted+float64(out.Refusals)))
			}

			By("costing the 20 legitimate devices nothing")
			fleetUnharmed(ctx)

			By("leaving no stray Device or Secret")
			Eventually(ctx, func(ctx context.Context) ([]string, error) {
				after, err := objectNames(ctx, e.Client, e.Namespace)
				expected := map[string]bool{}
				for _, o := range target.Created() {
					expected[o] = true
				}
				var stray []string
				for o := range after {
					if !before[o] && !expected[o] {
						stray = append(stray, o)
					}
				}
				return stray, err
			}).Should(BeEmpty())

			By("leaving no goroutine or file descriptor behind in the gateway")
			Eventually(ctx, func(ctx context.Context) (gatewayLoad, error) { return readLoad(ctx, gw) }).
				Should(And(
					HaveField("Goroutines", BeNumerically("<=", load.Goroutines+leakSlack)),
					HaveField("FDs", BeNumerically("<=", load.FDs+leakSlack))),
					"before the attack: %s", load)
		}, SpecTimeout(4*time.Minute))
	}

	It("ends the catalogue with the gateway back at its baseline and the fleet intact", func(ctx SpecContext) {
		Eventually(ctx, func(ctx context.Context) (gatewayLoad, error) { return readLoad(ctx, gw) }, time.Minute).
			Should(And(
				HaveField("Goroutines", BeNumerically("<=", baseline.Goroutines+leakSlack)),
				HaveField("FDs", BeNumerically("<=", baseline.FDs+leakSlack))),
				"baseline before the first attack: %s", baseline)
		fleetUnharmed(ctx)
		for _, n := range legit {
			d, err := observe.Device(e.Client, e.Namespace, n)(ctx)
			Expect(err).NotTo(HaveOccurred())
			Expect(d.Spec.Revoked).To(BeFalse())
			Expect(d.Spec.PublicKey).To(Equal(fleet.PublicKey(devices[n])), "%s kept its key", n)
		}
	})
})

// patchDevice merge-patches a Device as an operator would.
func patchDevice(ctx context.Context, e *env.Env, name, patch string) {
	GinkgoHelper()
	d := &wasmbedv1.Device{}
	d.Namespace, d.Name = e.Namespace, name
	Expect(e.Client.Patch(ctx, d, client.RawPatch(types.MergePatchType, []byte(patch)))).To(Succeed())
}

// linesWithAll counts the lines of log that contain every fragment.
func linesWithAll(log string, fragments []string) int {
	n := 0
	for _, line := range strings.Split(log, "\n") {
		all := true
		for _, f := range fragments {
			if !strings.Contains(line, f) {
				all = false
				break
			}
		}
		if all {
			n++
		}
	}
	return n
}
