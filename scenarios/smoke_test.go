package scenarios

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/wasmbed/wasmbed/harness/env"
	wasmbedv1 "github.com/wasmbed/wasmbed/sut/api/v1alpha1"
)

func newPublicKey() string {
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	Expect(err).NotTo(HaveOccurred())
	return wasmbedv1.EncodePublicKey(pub)
}

func validDevice(ns, name string) *wasmbedv1.Device {
	return &wasmbedv1.Device{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: wasmbedv1.DeviceSpec{
			PublicKey:  newPublicKey(),
			Arch:       wasmbedv1.ArchARM64,
			Profile:    "arm64-virt",
			Enrollment: wasmbedv1.DeviceEnrollment{Method: wasmbedv1.EnrollPreRegistered},
		},
	}
}

// wasmHeader is the smallest valid module: magic and version.
var wasmHeader = []byte{0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00}

func validApplication(ns, name string) *wasmbedv1.Application {
	return &wasmbedv1.Application{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: wasmbedv1.ApplicationSpec{
			Module:  wasmbedv1.ModuleSource{Inline: wasmHeader},
			Devices: []string{"dev-1"},
		},
	}
}

var _ = Describe("API", Label("smoke"), func() {
	var e *env.Env
	BeforeEach(func(ctx SpecContext) { e = newEnv(ctx) })

	It("installs the Device, Application and Gateway CRDs", func(ctx SpecContext) {
		By("given a cluster the harness booted")
		By("when the CRDs are read back from the API server")
		By("then each is Established, with a status subresource and short names")
		for _, name := range []string{"devices.wasmbed.io", "applications.wasmbed.io", "gateways.wasmbed.io"} {
			crd := &apiextensionsv1.CustomResourceDefinition{}
			Expect(e.Client.Get(ctx, client.ObjectKey{Name: name}, crd)).To(Succeed())
			Expect(crd.Status.Conditions).To(ContainElement(And(
				HaveField("Type", apiextensionsv1.Established),
				HaveField("Status", apiextensionsv1.ConditionTrue),
			)), name)
			Expect(crd.Spec.Versions[0].Subresources.Status).NotTo(BeNil(), name)
			Expect(crd.Spec.Names.ShortNames).NotTo(BeEmpty(), name)
		}
	})

	It("accepts valid objects", func(ctx SpecContext) {
		By("given valid Devices, Applications and a Gateway")
		By("when they are created, and a status written")
		By("then the API server accepts them and applies the schema's defaults")
		dev := validDevice(e.Namespace, "dev-1")
		Expect(e.Client.Create(ctx, dev)).To(Succeed())
		Expect(dev.Spec.Failsafe).To(Equal(wasmbedv1.FailsafeRTL), "defaulted by the schema")

		tokenDev := validDevice(e.Namespace, "dev-2")
		tokenDev.Spec.Enrollment = wasmbedv1.DeviceEnrollment{Method: wasmbedv1.EnrollByToken, TokenSecretRef: &wasmbedv1.LocalObjectReference{Name: "tok"}}
		Expect(e.Client.Create(ctx, tokenDev)).To(Succeed())

		dev.Status.Phase = wasmbedv1.DeviceConnected
		Expect(e.Client.Status().Update(ctx, dev)).To(Succeed())

		app := validApplication(e.Namespace, "hello")
		Expect(e.Client.Create(ctx, app)).To(Succeed())
		Expect(app.Spec.Limits.MaxMemoryPages).To(BeEquivalentTo(16), "defaulted by the schema")

		sum := sha256.Sum256(wasmHeader)
		ref := validApplication(e.Namespace, "by-ref")
		ref.Spec.Module = wasmbedv1.ModuleSource{
			ConfigMapRef: &wasmbedv1.KeyReference{Name: "mods", Key: "app.wasm"},
			SHA256:       hex.EncodeToString(sum[:]),
		}
		ref.Spec.Devices = nil
		ref.Spec.Selector = &metav1.LabelSelector{MatchLabels: map[string]string{"fleet": "a"}}
		Expect(e.Client.Create(ctx, ref)).To(Succeed())

		gw := &wasmbedv1.Gateway{
			ObjectMeta: metav1.ObjectMeta{Namespace: e.Namespace, Name: "gw"},
			Spec:       wasmbedv1.GatewaySpec{Endpoint: "127.0.0.1:4443"},
		}
		Expect(e.Client.Create(ctx, gw)).To(Succeed())
		Expect(gw.Spec.HeartbeatInterval.Duration.String()).To(Equal("10s"))
	})

	DescribeTable("refuses invalid objects with a message a person can act on",
		func(ctx SpecContext, build func(ns string) client.Object, status bool, message string) {
			By("given an invalid object")
			obj := build(e.Namespace)
			By("when it is created (or its status written)")
			var err error
			if status {
				// Create drops status; write it through the subresource.
				withStatus := obj.DeepCopyObject().(client.Object)
				Expect(e.Client.Create(ctx, obj)).To(Succeed())
				withStatus.SetResourceVersion(obj.GetResourceVersion())
				err = e.Client.Status().Update(ctx, withStatus)
			} else {
				err = e.Client.Create(ctx, obj)
			}
			By("then the API server refuses it with a message that names the field and the rule")
			Expect(err).To(HaveOccurred())
			Expect(err.Error()).To(ContainSubstring(message))
		},
		Entry("a public key that is not Ed25519 SPKI", func(ns string) client.Object {
			d := validDevice(ns, "bad-key")
			d.Spec.PublicKey = strings.Repeat("A", 59)
			return d
		}, false, `spec.publicKey: Invalid value: "AAAA`),
		Entry("a truncated public key", func(ns string) client.Object {
			d := validDevice(ns, "short-key")
			d.Spec.PublicKey = d.Spec.PublicKey[:40]
			return d
		}, false, "spec.publicKey: Invalid value"),
		Entry("an unknown phase", func(ns string) client.Object {
			d := validDevice(ns, "flying")
			d.Status.Phase = "Flying"
			return d
		}, true, `status.phase: Unsupported value: "Flying"`),
		Entry("a token enrollment without its Secret", func(ns string) client.Object {
			d := validDevice(ns, "no-token")
			d.Spec.Enrollment.Method = wasmbedv1.EnrollByToken
			return d
		}, false, "enrollment.tokenSecretRef is required when enrollment.method is Token"),
		Entry("two module sources", func(ns string) client.Object {
			a := validApplication(ns, "two-sources")
			a.Spec.Module.ConfigMapRef = &wasmbedv1.KeyReference{Name: "m", Key: "k"}
			return a
		}, false, "set exactly one module source: inline, configMapRef or secretRef"),
		Entry("an oversized inline module", func(ns string) client.Object {
			a := validApplication(ns, "too-big")
			a.Spec.Module.Inline = bytes.Repeat([]byte{0}, wasmbedv1.MaxInlineModuleBytes+1)
			return a
		}, false, "inline module is larger than 256 KiB"),
		Entry("a referenced module without a digest", func(ns string) client.Object {
			a := validApplication(ns, "no-digest")
			a.Spec.Module = wasmbedv1.ModuleSource{SecretRef: &wasmbedv1.KeyReference{Name: "m", Key: "k"}}
			return a
		}, false, "sha256 is required when the module comes from a configMapRef or secretRef"),
		Entry("an application without targets", func(ns string) client.Object {
			a := validApplication(ns, "nowhere")
			a.Spec.Devices = nil
			return a
		}, false, "set selector and/or devices to choose target devices"),
		Entry("a heartbeat timeout shorter than the interval", func(ns string) client.Object {
			return &wasmbedv1.Gateway{
				ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "gw"},
				Spec: wasmbedv1.GatewaySpec{
					Endpoint:          "127.0.0.1:4443",
					HeartbeatInterval: &metav1.Duration{Duration: 10e9},
					HeartbeatTimeout:  &metav1.Duration{Duration: 5e9},
				},
			}
		}, false, "heartbeatTimeout must be longer than heartbeatInterval"),
	)

	It("shows devices with kubectl as a user would see them", func(ctx SpecContext) {
		By("given a Connected Device")
		dev := validDevice(e.Namespace, "dev-1")
		Expect(e.Client.Create(ctx, dev)).To(Succeed())
		now := metav1.Now()
		dev.Status = wasmbedv1.DeviceStatus{Phase: wasmbedv1.DeviceConnected, Gateway: "gw-a", LastHeartbeat: &now}
		Expect(e.Client.Status().Update(ctx, dev)).To(Succeed())

		By("when a user runs kubectl get devices")
		out, err := e.Kubectl(ctx, "get", "devices")
		Expect(err).NotTo(HaveOccurred())
		By("then it prints the phase, gateway and arch columns, and the key is a selectable field")
		lines := strings.Split(strings.TrimSpace(out), "\n")
		Expect(lines).To(HaveLen(2))
		Expect(strings.Fields(lines[0])).To(Equal([]string{"NAME", "PHASE", "GATEWAY", "ARCH", "LAST-HEARTBEAT", "AGE"}))
		Expect(strings.Fields(lines[1])[:4]).To(Equal([]string{"dev-1", "Connected", "gw-a", "arm64"}))

		out, err = e.Kubectl(ctx, "get", "dev", "-A", "--field-selector", "spec.publicKey="+dev.Spec.PublicKey)
		Expect(err).NotTo(HaveOccurred(), "publicKey is a selectable field")
		Expect(out).To(ContainSubstring("dev-1"))
	})
})
