package scenarios

import (
	"crypto/tls"
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
		e   *env.Env
		tb  *testbed.Testbed
		obs observe.Namespace
	)
	BeforeEach(func(ctx SpecContext) {
		e, tb, obs = b.newTestbed(ctx)
	})

	enrolments := func(result refusal.Reason) func(SpecContext) (float64, error) {
		return func(ctx SpecContext) (float64, error) {
			return tb.SUT.Gateway("").Metric(ctx, "wasmbed_gateway_enrollments_total", map[string]string{"result": string(result)})
		}
	}

	It("enrols a device with a one-time token and keeps it Connected", Label("smoke"), func(ctx SpecContext) {
		By("given a device provisioned with a one-time token")
		By("when it boots")
		d, err := tb.NewDevice(ctx, "dev-token", testbed.DeviceOptions{Token: true})
		Expect(err).NotTo(HaveOccurred())

		By("then it is Connected, its Device carries the key it generated, pinned to the gateway that enrolled it")
		Eventually(ctx, obs.DevicePhase("dev-token")).Should(Equal(wasmbedv1.DeviceConnected))
		dev, err := obs.Device("dev-token")(ctx)
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
		By("given a device without a token, refused while its key is unknown")
		d, err := tb.NewDevice(ctx, "dev-pre", testbed.DeviceOptions{})
		Expect(err).NotTo(HaveOccurred())
		Eventually(func() string { return fleet.PublicKey(d) }).ShouldNot(BeEmpty())
		Eventually(d.Log).Should(ContainSubstring("reason=" + string(protocol.ReasonUnknownKey)))

		By("when an operator registers its key")
		_, err = tb.PreRegister(ctx, d, wasmbedv1.ArchX86_64)
		Expect(err).NotTo(HaveOccurred())

		By("then it is Connected")
		Eventually(ctx, obs.DevicePhase("dev-pre")).Should(Equal(wasmbedv1.DeviceConnected))
	})

	if b.fleets {
		It("enrols 50 devices at once", Label("scale"), func(ctx SpecContext) {
			const n = 50
			By("given 50 devices, each with its own token")
			By("when they all boot at once")
			By("then every one is Connected, with one Device each")
			_, err := tb.ConnectedDevices(ctx, n, testbed.FleetOptions{Prefix: "dev", Timeout: 90 * time.Second})
			Expect(err).NotTo(HaveOccurred())
			Expect(obs.PhaseCounts()(ctx)).To(HaveKeyWithValue(wasmbedv1.DeviceConnected, n))
			Expect(obs.Devices()(ctx)).To(HaveLen(n), "one Device per device, no duplicates")
		})
	}

	Describe("refusals, each with its reason in the device log and a gateway metric", func() {
		It("refuses an unknown key without a token", func(ctx SpecContext) {
			By("given a device with neither a token nor a registered key")
			By("when it boots")
			d, err := tb.NewDevice(ctx, "stranger", testbed.DeviceOptions{})
			Expect(err).NotTo(HaveOccurred())

			By("then it is refused as unknown_key and no Device is created")
			Eventually(d.Log).Should(ContainSubstring("reason=" + string(protocol.ReasonUnknownKey)))
			Eventually(ctx, enrolments(protocol.ReasonUnknownKey)).Should(BeNumerically(">=", 1))
			Expect(obs.Devices()(ctx)).To(BeEmpty())
		})

		It("refuses a reused token", func(ctx SpecContext) {
			By("given a token a first device has enrolled with")
			tok, err := tokens.Create(ctx, e.Client, e.Namespace, tokens.Options{})
			Expect(err).NotTo(HaveOccurred())
			_, err = tb.NewDevice(ctx, "first", testbed.DeviceOptions{TokenValue: tok})
			Expect(err).NotTo(HaveOccurred())
			Eventually(ctx, obs.DevicePhase("first")).Should(Equal(wasmbedv1.DeviceConnected))

			By("when a second device presents the same token")
			second, err := tb.NewDevice(ctx, "second", testbed.DeviceOptions{TokenValue: tok})
			Expect(err).NotTo(HaveOccurred())

			By("then it is refused as token_reused and only the first has a Device")
			Eventually(second.Log).Should(ContainSubstring("reason=" + string(protocol.ReasonTokenReused)))
			Eventually(ctx, enrolments(protocol.ReasonTokenReused)).Should(BeNumerically(">=", 1))
			Expect(obs.Devices()(ctx)).To(HaveLen(1))
		})

		It("refuses an expired token", func(ctx SpecContext) {
			By("given a token that expired a minute ago")
			tok, err := tokens.Create(ctx, e.Client, e.Namespace, tokens.Options{TTL: -time.Minute})
			Expect(err).NotTo(HaveOccurred())

			By("when a device presents it")
			d, err := tb.NewDevice(ctx, "late", testbed.DeviceOptions{TokenValue: tok})
			Expect(err).NotTo(HaveOccurred())

			By("then it is refused as token_expired and no Device is created")
			Eventually(d.Log).Should(ContainSubstring("reason=" + string(protocol.ReasonTokenExpired)))
			Eventually(ctx, enrolments(protocol.ReasonTokenExpired)).Should(BeNumerically(">=", 1))
			Expect(obs.Devices()(ctx)).To(BeEmpty())
		})

		if b.gatewayOnly {
			It("refuses a CSR whose key differs from the key presented", func(ctx SpecContext) {
				By("given a valid token and an attacker holding two keys")
				tok, err := tokens.Create(ctx, e.Client, e.Namespace, tokens.Options{})
				Expect(err).NotTo(HaveOccurred())
				_, presented := attack.NewKey()
				_, other := attack.NewKey()

				By("when it presents one key in TLS and asks for a certificate for the other")
				conn, err := attack.DialTLS(ctx, tb.SUT.Gateway("").Addr, attack.TLSOptions{
					Certificates: []tls.Certificate{attack.SelfSigned(presented, "impostor", time.Time{}, time.Time{})},
				})
				Expect(err).NotTo(HaveOccurred())
				defer conn.Close()
				resp, err := attack.Enroll(conn, &protocol.EnrollRequest{CSR: attack.CSR(other, nil), Token: tok, Name: "impostor", Info: protocol.DeviceInfo{Arch: "x86_64"}})
				Expect(err).NotTo(HaveOccurred())
				GinkgoWriter.Printf("attacking client was told: reason=%s message=%q\n", resp.Reason, resp.Message)

				By("then it is refused as csr_key_mismatch, counted once, and the token is not spent")
				Expect(resp.Accepted).To(BeFalse())
				Expect(resp.Reason).To(Equal(protocol.ReasonCSRKeyMismatch))
				Expect(enrolments(protocol.ReasonCSRKeyMismatch)(ctx)).To(BeEquivalentTo(1))
				Expect(obs.Devices()(ctx)).To(BeEmpty(), "and the token was not spent")
			})
		}
	})

	It("completes an enrolment when the controller restarts in the middle of it", func(ctx SpecContext) {
		By("given no controller running")
		ctrl := tb.SUT.Controllers[0]
		ctrl.Kill()

		By("when a device enrols, the gateway proposes the enrolment and nobody approves it")
		_, err := tb.NewDevice(ctx, "patient", testbed.DeviceOptions{Token: true})
		Expect(err).NotTo(HaveOccurred())
		Eventually(ctx, obs.DevicePhase("patient")).Should(Equal(wasmbedv1.DeviceEnrolling))
		Consistently(ctx, obs.DevicePhase("patient"), time.Second).Should(Equal(wasmbedv1.DeviceEnrolling))

		By("then the controller, once back, completes it")
		Expect(ctrl.Start(ctx, false)).To(Succeed())
		Eventually(ctx, obs.DevicePhase("patient"), scaled(30*time.Second)).Should(Equal(wasmbedv1.DeviceConnected))
	})
})
