package scenarios

import (
	"context"
	"encoding/hex"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/wasmbed/wasmbed/harness/observe"
	"github.com/wasmbed/wasmbed/harness/sutproc"
	"github.com/wasmbed/wasmbed/harness/testbed"
	wasmbedv1 "github.com/wasmbed/wasmbed/sut/api/v1alpha1"
	"github.com/wasmbed/wasmbed/sut/protocol"
)

var _ = Describe("Gateways and the CA", Label("enrollment"), func() {
	It("keeps a device pinned to the gateway that enrolled it", func(ctx SpecContext) {
		By("given two gateways and a device enrolled through gw-a")
		e, tb := newTestbed(ctx, testbed.Options{SUT: sutproc.Options{Gateways: []sutproc.GatewayOptions{
			{Name: "gw-a", Spec: sutproc.ScenarioTimings()},
			{Name: "gw-b", Spec: sutproc.ScenarioTimings()},
		}}})
		obs := e.Observe()
		d, err := tb.NewDevice(ctx, "loyal", testbed.DeviceOptions{Token: true, Gateway: "gw-a"})
		Expect(err).NotTo(HaveOccurred())
		Eventually(ctx, obs.Device("loyal")).Should(And(
			HaveField("Status.Phase", wasmbedv1.DeviceConnected),
			HaveField("Status.Gateway", "gw-a"),
			HaveField("Spec.GatewayRef.Name", "gw-a")))

		By("when it connects to gw-b, then gw-b refuses it as wrong_gateway and it stays gw-a's")
		toB, err := tb.Links.Add("loyal-b", tb.SUT.Gateway("gw-b").Addr)
		Expect(err).NotTo(HaveOccurred())
		d.Kill()
		d.Redirect(toB.Addr)
		Expect(d.Start(ctx)).To(Succeed())
		Eventually(d.Log).Should(ContainSubstring("reason=" + string(protocol.ReasonWrongGateway)))
		Eventually(ctx, func(ctx SpecContext) (float64, error) {
			return tb.SUT.Gateway("gw-b").Metric(ctx, "wasmbed_gateway_refusals_total", map[string]string{"reason": string(protocol.ReasonWrongGateway)})
		}).Should(BeNumerically(">=", 1))
		Consistently(ctx, obs.Device("loyal"), time.Second).Should(HaveField("Status.Gateway", "gw-a"))

		By("when it goes back to gw-a, then gw-a takes it back")
		d.Kill()
		d.Redirect(d.Link.Addr)
		Expect(d.Start(ctx)).To(Succeed())
		Eventually(ctx, obs.DevicePhase("loyal")).Should(Equal(wasmbedv1.DeviceConnected))
	})

	It("rotates the CA without dropping enrolled devices, which renew onto the new root", func(ctx SpecContext) {
		By("given a device enrolled under the first CA")
		e, tb := newTestbed(ctx, testbed.Options{})
		obs := e.Observe()
		d, _ := connectedDevice(ctx, e, tb, "veteran")
		oldCA, err := observe.ReadCA(ctx, e.Client, e.Namespace)
		Expect(err).NotTo(HaveOccurred())

		By("when an operator annotates the CA Secret to rotate it")
		before := oldCA.Secret
		patch := client.MergeFrom(before.DeepCopy())
		if before.Annotations == nil {
			before.Annotations = map[string]string{}
		}
		before.Annotations[observe.CAAnnotationRotate] = "1"
		Expect(e.Client.Patch(ctx, before, patch)).To(Succeed())

		By("then the controller rotates it: a new root, the old one still trusted during the overlap")
		var newCA *observe.CA
		Eventually(ctx, func(ctx context.Context) (string, error) {
			ca, err := observe.ReadCA(ctx, e.Client, e.Namespace)
			if err != nil {
				return "", err
			}
			newCA = ca
			return ca.Secret.Annotations[observe.CAAnnotationRotated], nil
		}).Should(Equal("1"))
		Expect(newCA.Cert.Equal(oldCA.Cert)).To(BeFalse())
		Expect(newCA.Previous).NotTo(BeNil())
		Expect(newCA.Previous.Equal(oldCA.Cert)).To(BeTrue(), "the old root is trusted during the overlap")

		By("and the live session carries on")
		Consistently(ctx, obs.DevicePhase("veteran"), 2*time.Second).Should(Equal(wasmbedv1.DeviceConnected))

		By("and on its next connection the device, which trusts only the old root, verifies the gateway's new certificate and renews")
		d.Kill()
		Expect(d.Start(ctx)).To(Succeed())
		Eventually(d.Log).Should(ContainSubstring("certificate renewed"))
		Eventually(ctx, obs.Device("veteran")).Should(And(
			HaveField("Status.Phase", wasmbedv1.DeviceConnected),
			HaveField("Status.Certificate.IssuerKeyID", Equal(hex.EncodeToString(newCA.Cert.SubjectKeyId)))))

		By("and a device enrolling after the rotation trusts the bundle it is given")
		_, err = tb.NewDevice(ctx, "rookie", testbed.DeviceOptions{Token: true})
		Expect(err).NotTo(HaveOccurred())
		Eventually(ctx, obs.DevicePhase("rookie")).Should(Equal(wasmbedv1.DeviceConnected))
	})
})
