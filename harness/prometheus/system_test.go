package prometheus_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/wasmbed/wasmbed/harness/config"
	"github.com/wasmbed/wasmbed/harness/env"
	"github.com/wasmbed/wasmbed/harness/prometheus"
	"github.com/wasmbed/wasmbed/harness/sutproc"
	wasmbedv1 "github.com/wasmbed/wasmbed/sut/api/v1alpha1"
)

// wasmHeader is the smallest valid module: magic and version.
var wasmHeader = []byte{0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00}

// TestPrometheusWatchesTheSUT runs the real thing end to end: a local
// control plane, the SUT's gateway and controller processes, and Debian's
// Prometheus with the SUT's rules, scraping all three. It checks what the
// monitoring scenarios will stand on: the targets are up, the controller
// exports its reconcile and state metrics, the rules evaluate over them,
// and an alert fires when the fleet breaks (the gateway is killed for
// good, its Lease expires).
func TestPrometheusWatchesTheSUT(t *testing.T) {
	g := gomega.NewWithT(t)
	g.SetDefaultEventuallyTimeout(2 * time.Minute)
	g.SetDefaultEventuallyPollingInterval(250 * time.Millisecond)
	ctrllog.SetLogger(logr.Discard()) // the local control plane logs through controller-runtime
	ctx := context.Background()

	// Given a cluster and one spec's SUT: a gateway "gw" (Lease 3 s) and a
	// controller,
	suite, err := env.Boot(ctx, config.FromEnv())
	g.Expect(err).NotTo(gomega.HaveOccurred())
	t.Cleanup(func() {
		if err := suite.Stop(context.Background()); err != nil {
			t.Errorf("stop the cluster: %v", err)
		}
	})
	e, err := suite.NewEnv(ctx, "prometheus")
	g.Expect(err).NotTo(gomega.HaveOccurred())
	t.Cleanup(func() {
		if kept, err := e.Close(context.Background(), t.Failed()); err != nil {
			t.Errorf("close the env: %v", err)
		} else if kept != "" {
			t.Logf("artifacts kept in %s", kept)
		}
	})
	sys, err := sutproc.Start(ctx, e, sutproc.Options{})
	g.Expect(err).NotTo(gomega.HaveOccurred())
	g.Expect(sys.Controllers[0].MetricsAddr()).NotTo(gomega.BeEmpty(), "the controller reported no metrics address")

	// and a Prometheus with the SUT's rules that scrapes the API server
	// with the harness's credentials,
	srv, err := prometheus.Start(ctx, prometheus.Options{Name: "test", APIServer: suite.RESTConfig, LogDir: e.ArtifactDir})
	g.Expect(err).NotTo(gomega.HaveOccurred())
	t.Cleanup(func() {
		if err := srv.Stop(); err != nil {
			t.Errorf("stop prometheus: %v", err)
		}
	})
	prom := srv.Client

	// when the spec registers its SUT as scrape targets,
	g.Expect(prometheus.ScrapeSystem(ctx, srv.Targets, e, sys)).To(gomega.Succeed())
	ns := e.Namespace

	// then the gateway, the controller and the API server are scraped.
	for _, labels := range []map[string]string{
		{"job": "wasmbed-gateway", "namespace": ns, "gateway": "gw"},
		{"job": "wasmbed-controller", "namespace": ns},
		{"job": "kube-apiserver"},
	} {
		g.Eventually(func() (bool, error) { return prom.TargetUp(ctx, labels) }).Should(gomega.BeTrue(), "target %v", labels)
	}
	g.Eventually(func() ([]prometheus.Sample, error) {
		return prom.Query(ctx, `apiserver_request_total{job="kube-apiserver",group="wasmbed.io",resource="gateways"}`)
	}).ShouldNot(gomega.BeEmpty(), "the API server's request counts")

	// When an operator registers a device that has not connected yet and
	// deploys an app to it,
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	g.Expect(err).NotTo(gomega.HaveOccurred())
	g.Expect(e.Client.Create(ctx, &wasmbedv1.Device{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "d1"},
		Spec: wasmbedv1.DeviceSpec{PublicKey: wasmbedv1.EncodePublicKey(pub), Arch: wasmbedv1.ArchARM64,
			Enrollment: wasmbedv1.DeviceEnrollment{Method: wasmbedv1.EnrollPreRegistered}},
	})).To(gomega.Succeed())
	g.Expect(e.Client.Create(ctx, &wasmbedv1.Application{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "blink"},
		Spec:       wasmbedv1.ApplicationSpec{Module: wasmbedv1.ModuleSource{Inline: wasmHeader}, Devices: []string{"d1"}},
	})).To(gomega.Succeed())

	// then the controller exports controller-runtime's reconcile counts,
	// errors and durations for every reconciler,
	for _, c := range []string{"device", "gateway-liveness", "ca", "application"} {
		for _, m := range []string{"controller_runtime_reconcile_total", "controller_runtime_reconcile_errors_total"} {
			g.Eventually(func() ([]prometheus.Sample, error) {
				return prom.Query(ctx, m+`{job="wasmbed-controller",namespace="`+ns+`",controller="`+c+`"}`)
			}).ShouldNot(gomega.BeEmpty(), "%s of %s", m, c)
		}
		g.Eventually(func() (float64, error) {
			return prom.Value(ctx, `sum(controller_runtime_reconcile_time_seconds_count{job="wasmbed-controller",namespace="`+ns+`",controller="`+c+`"})`)
		}).Should(gomega.BeNumerically(">", 0), "reconcile durations of %s", c)
	}
	// the device counted as Pending and the app's one target as pending,
	g.Eventually(func() (float64, error) {
		return prom.Value(ctx, `sum(wasmbed_controller_devices{namespace="`+ns+`",phase="Pending"})`)
	}).Should(gomega.Equal(1.0))
	g.Eventually(func() (float64, error) {
		return prom.Value(ctx, `wasmbed_controller_application_targets{namespace="`+ns+`",application="blink",state="pending"}`)
	}).Should(gomega.Equal(1.0))
	g.Eventually(func() (float64, error) {
		return prom.Value(ctx, `wasmbed:application_targets:not_running{namespace="`+ns+`",application="blink"}`)
	}).Should(gomega.Equal(1.0))
	// and the state of the Gateway object (its 3 s grace: the scenario
	// timings) and of the Lease the live gateway renews,
	g.Eventually(func() (float64, error) {
		return prom.Value(ctx, `wasmbed_controller_gateway_unreachable_grace_seconds{namespace="`+ns+`",gateway="gw"}`)
	}).Should(gomega.Equal(3.0))
	g.Eventually(func() (float64, error) {
		return prom.Value(ctx, `wasmbed_controller_devices{namespace="`+ns+`",gateway="gw",phase="Connected"}`)
	}).Should(gomega.Equal(0.0))
	// over which the rules evaluate: the Lease is fresh,
	g.Eventually(func() (float64, error) {
		return prom.Value(ctx, `wasmbed:gateway_lease:age_seconds{namespace="`+ns+`",gateway="gw"}`)
	}).Should(gomega.BeNumerically("<", 3))
	// and the gateway's own series carry the spec's labels.
	g.Eventually(func() (float64, error) {
		return prom.Value(ctx, `wasmbed_gateway_connected_devices{namespace="`+ns+`",gateway="gw"}`)
	}).Should(gomega.Equal(0.0))
	// Nothing fires: the app has been pending for less than 5 minutes.
	firing, err := prom.Firing(ctx, map[string]string{"namespace": ns})
	g.Expect(err).NotTo(gomega.HaveOccurred())
	g.Expect(firing).To(gomega.BeEmpty(), "alerts of a healthy SUT")

	// When the gateway dies for good,
	killed := time.Now()
	sys.Gateway("gw").Kill()

	// then its Lease alert fires: the Lease (3 s) expires, and the alert
	// holds for 10 s; scrape and evaluation add a second each.
	g.Eventually(func() (bool, error) {
		return prom.AlertFiring(ctx, "WasmbedGatewayLeaseExpired", map[string]string{"namespace": ns, "gateway": "gw"})
	}).Should(gomega.BeTrue())
	t.Logf("WasmbedGatewayLeaseExpired fired %s after the gateway was killed (Lease 3 s + for 10 s + scrape and evaluation)", time.Since(killed).Round(100*time.Millisecond))
	alerts, err := prom.AlertsMatching(ctx, "WasmbedGatewayLeaseExpired", map[string]string{"namespace": ns})
	g.Expect(err).NotTo(gomega.HaveOccurred())
	g.Expect(alerts).To(gomega.HaveLen(1))
	g.Expect(alerts[0].Labels).To(gomega.HaveKeyWithValue("severity", "critical"))
	g.Expect(alerts[0].Annotations["summary"]).To(gomega.HavePrefix("Gateway " + ns + "/gw has not renewed its Lease for "))
	g.Expect(alerts[0].Value).To(gomega.BeNumerically(">", 3))
	// and its scrape target is down, not gone.
	up, err := prom.TargetUp(ctx, map[string]string{"job": "wasmbed-gateway", "namespace": ns})
	g.Expect(up).To(gomega.BeFalse())
	g.Expect(err).To(gomega.HaveOccurred(), "a down target says why")
}
