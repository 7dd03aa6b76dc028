package scenarios

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	fixtures "github.com/wasmbed/wasmbed/fixtures/apps"
	"github.com/wasmbed/wasmbed/harness/appspec"
	"github.com/wasmbed/wasmbed/harness/observe"
	"github.com/wasmbed/wasmbed/harness/testbed"
	wasmbedv1 "github.com/wasmbed/wasmbed/sut/api/v1alpha1"
)

var _ = Describe("Pub/sub", Label("deploy"), func() {
	It("routes app messages across devices through the gateway", func(ctx SpecContext) {
		e, tb := newTestbed(ctx, testbed.Options{})
		connectedDevices(ctx, e, tb, "pub", 1, nil)
		connectedDevices(ctx, e, tb, "sub", 1, nil)
		for _, a := range []*wasmbedv1.Application{
			appspec.FromFixture(e.Namespace, "ticker", fixtures.Ticker, appspec.Options{Devices: []string{"pub-00"}}),
			appspec.FromFixture(e.Namespace, "echo", fixtures.Echo, appspec.Options{Devices: []string{"sub-00"}}),
			appspec.FromFixture(e.Namespace, "sensor-avg", fixtures.SensorAvg, appspec.Options{Devices: []string{"sub-00"}}),
		} {
			Expect(e.Client.Create(ctx, a)).To(Succeed())
		}
		for _, a := range []string{"ticker", "echo", "sensor-avg"} {
			Eventually(ctx, observe.AppPhase(e.Client, e.Namespace, a)).Should(Equal(wasmbedv1.AppPhaseRunning))
		}
		gw := tb.SUT.Gateway("")
		published := func(topic string) func(SpecContext) (float64, error) {
			return func(ctx SpecContext) (float64, error) {
				return gw.Metric(ctx, "wasmbed_gateway_app_messages_total", map[string]string{"topic": topic})
			}
		}
		By("the ticker on one device feeds the echo and the averager on the other, whose output reaches the gateway")
		Eventually(ctx, published(fixtures.TopicEchoIn)).Should(BeNumerically(">=", 5))
		Eventually(ctx, published(fixtures.TopicEchoOut)).Should(BeNumerically(">=", 5))
		Eventually(ctx, published(fixtures.TopicSensorAvg)).Should(BeNumerically(">=", 5))
	})
})
