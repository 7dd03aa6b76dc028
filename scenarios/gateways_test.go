package scenarios

import (
	"encoding/hex"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/wasmbed/wasmbed/harness/observe"
	"github.com/wasmbed/wasmbed/harness/sutproc"
	"github.com/wasmbed/wasmbed/harness/testbed"
	wasmbedv1 "github.com/wasmbed/wasmbed/sut/api/v1alpha1"
	"github.com/wasmbed/wasmbed/sut/pki"
	"github.com/wasmbed/wasmbed/sut/protocol"
)

var _ = Describe("Gateways and the CA", Label("enrollment"), func() {
	It("keeps a device pinned to the gateway that enrolled it", func(ctx SpecContext) {
		e, tb := newTestbed(ctx, testbed.Options{SUT: sutproc.Options{Gateways: []sutproc.GatewayOptions{
			{Name: "gw-a", Spec: sutproc.ScenarioTimings()},
			{Name: "gw-b", Spec: sutproc.ScenarioTimings()},
		}}})
		d, err := tb.NewDevice(ctx, "loyal", testbed.DeviceOptions{Token: true, Gateway: "gw-a"})
		Expect(err).NotTo(HaveOccurred())
		Eventually(ctx, observe.Device(e.Client, e.Namespace, "loyal")).Should(And(
			HaveField("Status.Phase", wasmbedv1.DeviceConnected),
			HaveField("Status.Gateway", "gw-a"),
			HaveField("Spec.GatewayRef.Name", "gw-a")))

		By("the other gateway refuses it")
		toB, err := tb.Links.Add("loyal-b", tb.SUT.Gateway("gw-b").Addr)
		Expect(err).NotTo(HaveOccurred())
		d.Kill()
		d.Redirect(toB.Addr)
		Expect(d.Start(ctx)).To(Succeed())
		Eventually(d.Log).Should(ContainSubstring("reason=" + string(protocol.ReasonWrongGateway)))
		Eventually(ctx, func(ctx SpecContext) (float64, error) {
			return tb.SUT.Gateway("gw-b").Metric(ctx, "wasmbed_gateway_refusals_total", map[string]string{"reason": string(protocol.ReasonWrongGateway)})
		}).Should(BeNumerically(">=", 1))
		Consistently(ctx, observe.Device(e.Client, e.Namespace, "loyal"), time.Second).Should(HaveField("Status.Gateway", "gw-a"))

		By("and its own takes it back")
		d.Kill()
		d.Redirect(d.Link.Addr)
		Expect(d.Start(ctx)).To(Succeed())
		Eventually(ctx, observe.DevicePhase(e.Client, e.Namespace, "loyal")).Should(Equal(wasmbedv1.DeviceConnected))
	})

	It("rotates the CA without dropping enrolled devices, which renew onto the new root", func(ctx SpecContext) {
		e, tb := newTestbed(ctx, testbed.Options{})
		d, _ := connectedDevice(ctx, e, tb, "veteran")
		var before corev1.Secret
		key := client.ObjectKey{Namespace: e.Namespace, Name: pki.DefaultSecretName}
		Expect(e.Client.Get(ctx, key, &before)).To(Succeed())
		oldCA, err := pki.FromSecret(&before)
		Expect(err).NotTo(HaveOccurred())

		patch := client.MergeFrom(before.DeepCopy())
		if before.Annotations == nil {
			before.Annotations = map[string]string{}
		}
		before.Annotations[pki.AnnotationRotate] = "1"
		Expect(e.Client.Patch(ctx, &before, patch)).To(Succeed())
		var rotated corev1.Secret
		Eventually(ctx, func(ctx SpecContext) (string, error) {
			err := e.Client.Get(ctx, key, &rotated)
			return rotated.Annotations[pki.AnnotationRotated], err
		}).Should(Equal("1"))
		newCA, err := pki.FromSecret(&rotated)
		Expect(err).NotTo(HaveOccurred())
		Expect(newCA.Cert.Equal(oldCA.Cert)).To(BeFalse())
		Expect(newCA.Previous.Equal(oldCA.Cert)).To(BeTrue(), "the old root is trusted during the overlap")

		By("the live session carries on")
		Consistently(ctx, observe.DevicePhase(e.Client, e.Namespace, "veteran"), 2*time.Second).Should(Equal(wasmbedv1.DeviceConnected))

		By("on its next connection the device, which trusts only the old root, verifies the gateway's new certificate and renews")
		d.Kill()
		Expect(d.Start(ctx)).To(Succeed())
		Eventually(d.Log).Should(ContainSubstring("certificate renewed"))
		Eventually(ctx, observe.Device(e.Client, e.Namespace, "veteran")).Should(And(
			HaveField("Status.Phase", wasmbedv1.DeviceConnected),
			HaveField("Status.Certificate.IssuerKeyID", Equal(hex.EncodeToString(newCA.Cert.SubjectKeyId)))))

		By("a device enrolling after the rotation trusts the bundle it is given")
		_, err = tb.NewDevice(ctx, "rookie", testbed.DeviceOptions{Token: true})
		Expect(err).NotTo(HaveOccurred())
		Eventually(ctx, observe.DevicePhase(e.Client, e.Namespace, "rookie")).Should(Equal(wasmbedv1.DeviceConnected))
	})
})
