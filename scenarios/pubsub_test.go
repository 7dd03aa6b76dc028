package scenarios

import (
	"regexp"
	"strconv"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	fixtures "github.com/wasmbed/wasmbed/fixtures/apps"
	"github.com/wasmbed/wasmbed/harness/appspec"
	"github.com/wasmbed/wasmbed/harness/testbed"
	wasmbedv1 "github.com/wasmbed/wasmbed/sut/api/v1alpha1"
)

// sinkLineRE is a line the sink fixture logs for a message it received.
var sinkLineRE = regexp.MustCompile(`msg="(\S+) (-?\d+)" .*app=sink`)

// received returns what the sink on d logged for topic, as integers, in
// the order it received them.
func received(d *testbed.Device, topic string) func() []int {
	return func() []int {
		var out []int
		for _, m := range sinkLineRE.FindAllStringSubmatch(d.Log(), -1) {
			if m[1] == topic {
				n, _ := strconv.Atoi(m[2])
				out = append(out, n)
			}
		}
		return out
	}
}

var _ = Describe("Pub/sub", Label("deploy"), func() {
	It("routes app messages across devices through the gateway, unaltered", func(ctx SpecContext) {
		By("given two devices: an echo and an averager on one, a sink watching their output on the other")
		e, tb := newTestbed(ctx, testbed.Options{})
		obs := e.Observe()
		pub := connected(ctx, tb, "pub", 1, nil)[0]
		connected(ctx, tb, "sub", 1, nil)
		sink := appspec.FromFixture(e.Namespace, "sink", fixtures.Sink, appspec.Options{Devices: []string{"pub-00"}, Capabilities: &wasmbedv1.AppCapabilities{
			Log: true, Subscribe: []string{fixtures.TopicEchoOut, fixtures.TopicSensorAvg},
		}})
		for _, a := range []*wasmbedv1.Application{
			appspec.FromFixture(e.Namespace, "echo", fixtures.Echo, appspec.Options{Devices: []string{"sub-00"}}),
			appspec.FromFixture(e.Namespace, "sensor-avg", fixtures.SensorAvg, appspec.Options{Devices: []string{"sub-00"}}),
			sink,
		} {
			Expect(e.Client.Create(ctx, a)).To(Succeed())
		}
		for _, a := range []string{"echo", "sensor-avg", "sink"} {
			Eventually(ctx, obs.AppPhase(a)).Should(Equal(wasmbedv1.AppPhaseRunning))
		}

		By("when a ticker starts beside the sink, publishing its count 1, 2, 3, … on echo/in and sensor/raw")
		Expect(e.Client.Create(ctx, appspec.FromFixture(e.Namespace, "ticker", fixtures.Ticker, appspec.Options{Devices: []string{"pub-00"}}))).To(Succeed())
		Eventually(ctx, obs.AppPhase("ticker")).Should(Equal(wasmbedv1.AppPhaseRunning))

		By("then the gateway routes every topic of the chain")
		gw := tb.SUT.Gateway("")
		published := func(topic string) func(SpecContext) (float64, error) {
			return func(ctx SpecContext) (float64, error) {
				return gw.Metric(ctx, "wasmbed_gateway_app_messages_total", map[string]string{"topic": topic})
			}
		}
		Eventually(ctx, published(fixtures.TopicEchoIn)).Should(BeNumerically(">=", 5))
		Eventually(ctx, published(fixtures.TopicEchoOut)).Should(BeNumerically(">=", 5))
		Eventually(ctx, published(fixtures.TopicSensorAvg)).Should(BeNumerically(">=", 5))

		By("and what arrives back is the ticker's count, echoed as it was sent, and its moving average over 4")
		firstFive := func(v []int) []int { return v[:min(len(v), 5)] }
		Eventually(received(pub, fixtures.TopicEchoOut)).Should(WithTransform(firstFive, Equal([]int{1, 2, 3, 4, 5})))
		// The averages of 1; 1,2; 1,2,3; 1..4; 2..5, truncated.
		Eventually(received(pub, fixtures.TopicSensorAvg)).Should(WithTransform(firstFive, Equal([]int{1, 1, 2, 2, 3})))
	})
})
