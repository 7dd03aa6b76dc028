package scenarios

import (
	"crypto/tls"
	"fmt"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/wasmbed/wasmbed/harness/attack"
	"github.com/wasmbed/wasmbed/harness/env"
	"github.com/wasmbed/wasmbed/harness/fleet"
	"github.com/wasmbed/wasmbed/harness/observe"
	"github.com/wasmbed/wasmbed/harness/testbed"
	"github.com/wasmbed/wasmbed/harness/tokens"
	wasmbedv1 "github.com/wasmbed/wasmbed/sut/api/v1alpha1"
	"github.com/wasmbed/wasmbed/sut/protocol"
	"github.com/wasmbed/wasmbed/sut/refusal"
)

var _ = forEachBackend("Enrollment", Label("enrollment"), func(b deviceBackend) {
	var (
		e  *env.Env
		tb *testbed.Testbed
	)
	BeforeEach(func(ctx SpecContext) {
		e, tb = b.newTestbed(ctx)
	})

	enrolments := func(result refusal.Reason) func(SpecContext) (float64, error) {
		return func(ctx SpecContext) (float64, error) {
			return tb.SUT.Gateway("").Metric(ctx, "wasmbed_gateway_enrollments_total", map[string]string{"result": string(result)})
		}
	}

	It("enrols a device with a one-time token and keeps it Connected", Label("smoke"), func(ctx SpecContext) {
		d, err := tb.NewDevice(ctx, "dev-token", testbed.DeviceOptions{Token: true})
		Expect(err).NotTo(HaveOccurred())
		Eventually(ctx, observe.DevicePhase(e.Client, e.Namespace, "dev-token")).Should(Equal(wasmbedv1.DeviceConnected))
		dev, err := observe.Device(e.Client, e.Namespace, "dev-token")(ctx)
		Expect(err).NotTo(HaveOccurred())
		Expect(dev.Spec.PublicKey).To(Equal(fleet.PublicKey(d)), "the CR carries the key the device generated")
		Expect(dev.Spec.Enrollment.Method).To(Equal(wasmbedv1.EnrollByToken))
		Expect(dev.Spec.GatewayRef).To(HaveField("Name", "gw"), "pinned to the gateway that enrolled it")
		Expect(dev.Status.Gateway).To(Equal("gw"))
		Expect(dev.Status.Certificate).NotTo(BeNil())
		Expect(dev.Status.Conditions).To(ContainElement(And(HaveField("Type", wasmbedv1.ConditionEnrolled), HaveField("Status", BeEquivalentTo("True")))))
		Expect(enrolments("accepted")(ctx)).To(BeEquivalentTo(1))
	})

	It("enrols a pre-registered device once an operator registers its key", func(ctx SpecContext) {
		d, err := tb.NewDevice(ctx, "dev-pre", testbed.DeviceOptions{})
		Expect(err).NotTo(HaveOccurred())
		Eventually(func() string { return fleet.PublicKey(d) }).ShouldNot(BeEmpty())
		Eventually(d.Log).Should(ContainSubstring("reason=" + string(protocol.ReasonUnknownKey)))
		_, err = tb.PreRegister(ctx, d, wasmbedv1.ArchX86_64)
		Expect(err).NotTo(HaveOccurred())
		Eventually(ctx, observe.DevicePhase(e.Client, e.Namespace, "dev-pre")).Should(Equal(wasmbedv1.DeviceConnected))
	})

	if !b.heavy {
		It("enrols 50 devices at once", Label("scale"), func(ctx SpecContext) {
			const n = 50
			var wg sync.WaitGroup
			errs := make(chan error, n)
			for i := range n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					_, err := tb.NewDevice(ctx, fmt.Sprintf("dev-%02d", i), testbed.DeviceOptions{Token: true})
					errs <- err
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				Expect(err).NotTo(HaveOccurred())
			}
			Eventually(ctx, observe.PhaseCounts(e.Client, e.Namespace), 90*time.Second).Should(HaveKeyWithValue(wasmbedv1.DeviceConnected, n))
			Expect(observe.Devices(e.Client, e.Namespace)(ctx)).To(HaveLen(n), "one Device per device, no duplicates")
		})
	}

	Describe("refusals, each with its reason in the device log and a gateway metric", func() {
		It("refuses an unknown key without a token", func(ctx SpecContext) {
			d, err := tb.NewDevice(ctx, "stranger", testbed.DeviceOptions{})
			Expect(err).NotTo(HaveOccurred())
			Eventually(d.Log).Should(ContainSubstring("reason=" + string(protocol.ReasonUnknownKey)))
			Eventually(ctx, enrolments(protocol.ReasonUnknownKey)).Should(BeNumerically(">=", 1))
			Expect(observe.Devices(e.Client, e.Namespace)(ctx)).To(BeEmpty())
		})

		It("refuses a reused token", func(ctx SpecContext) {
			tok, err := tokens.Create(ctx, e.Client, e.Namespace, tokens.Options{})
			Expect(err).NotTo(HaveOccurred())
			_, err = tb.NewDevice(ctx, "first", testbed.DeviceOptions{TokenValue: tok})
			Expect(err).NotTo(HaveOccurred())
			Eventually(ctx, observe.DevicePhase(e.Client, e.Namespace, "first")).Should(Equal(wasmbedv1.DeviceConnected))
			second, err := tb.NewDevice(ctx, "second", testbed.DeviceOptions{TokenValue: tok})
			Expect(err).NotTo(HaveOccurred())
			Eventually(second.Log).Should(ContainSubstring("reason=" + string(protocol.ReasonTokenReused)))
			Eventually(ctx, enrolments(protocol.ReasonTokenReused)).Should(BeNumerically(">=", 1))
			Expect(observe.Devices(e.Client, e.Namespace)(ctx)).To(HaveLen(1))
		})

		It("refuses an expired token", func(ctx SpecContext) {
			tok, err := tokens.Create(ctx, e.Client, e.Namespace, tokens.Options{TTL: -time.Minute})
			Expect(err).NotTo(HaveOccurred())
			d, err := tb.NewDevice(ctx, "late", testbed.DeviceOptions{TokenValue: tok})
			Expect(err).NotTo(HaveOccurred())
			Eventually(d.Log).Should(ContainSubstring("reason=" + string(protocol.ReasonTokenExpired)))
			Eventually(ctx, enrolments(protocol.ReasonTokenExpired)).Should(BeNumerically(">=", 1))
			Expect(observe.Devices(e.Client, e.Namespace)(ctx)).To(BeEmpty())
		})

		// An attacking client, not a device: one backend is enough.
		if b.backend == "" {
			It("refuses a CSR whose key differs from the key presented", func(ctx SpecContext) {
				tok, err := tokens.Create(ctx, e.Client, e.Namespace, tokens.Options{})
				Expect(err).NotTo(HaveOccurred())
				_, presented := attack.NewKey()
				_, other := attack.NewKey()
				conn, err := attack.DialTLS(ctx, tb.SUT.Gateway("").Addr, attack.TLSOptions{
					Certificates: []tls.Certificate{attack.SelfSigned(presented, "impostor", time.Time{}, time.Time{})},
				})
				Expect(err).NotTo(HaveOccurred())
				defer conn.Close()
				resp, err := attack.Enroll(conn, &protocol.EnrollRequest{CSR: attack.CSR(other, nil), Token: tok, Name: "impostor", Info: protocol.DeviceInfo{Arch: "x86_64"}})
				Expect(err).NotTo(HaveOccurred())
				GinkgoWriter.Printf("attacking client was told: reason=%s message=%q\n", resp.Reason, resp.Message)
				Expect(resp.Accepted).To(BeFalse())
				Expect(resp.Reason).To(Equal(protocol.ReasonCSRKeyMismatch))
				Expect(enrolments(protocol.ReasonCSRKeyMismatch)(ctx)).To(BeEquivalentTo(1))
				Expect(observe.Devices(e.Client, e.Namespace)(ctx)).To(BeEmpty(), "and the token was not spent")
			})
		}
	})

	It("completes an enrolment when the controller restarts in the middle of it", func(ctx SpecContext) {
		ctrl := tb.SUT.Controllers[0]
		ctrl.Kill()
		_, err := tb.NewDevice(ctx, "patient", testbed.DeviceOptions{Token: true})
		Expect(err).NotTo(HaveOccurred())
		// The gateway proposed the enrolment; nobody is there to approve it.
		Eventually(ctx, observe.DevicePhase(e.Client, e.Namespace, "patient")).Should(Equal(wasmbedv1.DeviceEnrolling))
		Consistently(ctx, observe.DevicePhase(e.Client, e.Namespace, "patient"), time.Second).Should(Equal(wasmbedv1.DeviceEnrolling))
		Expect(ctrl.Start(ctx, false)).To(Succeed())
		Eventually(ctx, observe.DevicePhase(e.Client, e.Namespace, "patient"), 30*time.Second).Should(Equal(wasmbedv1.DeviceConnected))
	})
})
