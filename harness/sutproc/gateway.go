package sutproc

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	wasmbedv1 "github.com/wasmbed/wasmbed/sut/api/v1alpha1"
)

// Gateway is a gateway process and its Gateway object.
type Gateway struct {
	*Component
	// Addr is the device endpoint, 127.0.0.1:<port>; it stays the same
	// across restarts so devices find the gateway again (reservedPort).
	Addr string

	startTimeout time.Duration
}

func (s *System) addGateway(ctx context.Context, kubeconfig string, o GatewayOptions) (*Gateway, error) {
	port, err := reservePort()
	if err != nil {
		return nil, err
	}
	s.ports = append(s.ports, port)
	addr := port.Addr()
	spec := o.Spec
	spec.Endpoint = addr
	obj := &wasmbedv1.Gateway{ObjectMeta: metav1.ObjectMeta{Namespace: s.e.Namespace, Name: o.Name}, Spec: spec}
	if err := s.e.Client.Create(ctx, obj); err != nil {
		return nil, fmt.Errorf("create Gateway %s: %w", o.Name, err)
	}
	lease := o.LeaseDuration
	if lease == 0 {
		lease = 3 * time.Second
	}
	args := []string{
		"--kubeconfig=" + kubeconfig, "--namespace=" + s.e.Namespace, "--name=" + o.Name,
		"--listen=" + addr, "--metrics-addr=127.0.0.1:0", "--lease-duration=" + lease.String(),
	}
	if o.HandshakeTimeout > 0 {
		args = append(args, "--handshake-timeout="+o.HandshakeTimeout.String())
	}
	if o.EnrollTimeout > 0 {
		args = append(args, "--enroll-timeout="+o.EnrollTimeout.String())
	}
	if o.MaxConnections > 0 {
		args = append(args, "--max-connections="+strconv.Itoa(o.MaxConnections))
	}
	gw := &Gateway{
		Component:    &Component{Name: "gateway-" + o.Name, bin: s.e.Shared.Bins.Gateway, args: args, logDir: s.e.ArtifactDir, launcher: s.launcher},
		Addr:         addr,
		startTimeout: s.e.Config.Scale(60 * time.Second),
	}
	s.gateways[o.Name] = gw
	s.order = append(s.order, o.Name)
	return gw, nil
}

// Start starts the gateway and waits until it serves devices, for up to
// 60 s (scaled by WASMBED_TIMEOUT_SCALE).
func (g *Gateway) Start(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, g.startTimeout)
	defer cancel()
	return g.Component.Start(ctx, true)
}

// Restart stops the gateway gracefully and starts it again.
func (g *Gateway) Restart(ctx context.Context) error {
	if err := g.Stop(10 * time.Second); err != nil {
		return err
	}
	return g.Start(ctx)
}

// MetricsURL is the gateway's /metrics endpoint.
func (g *Gateway) MetricsURL() string {
	return "http://" + g.readyValue("metrics") + "/metrics"
}

// Metrics scrapes the gateway's Prometheus metrics.
func (g *Gateway) Metrics(ctx context.Context) (map[string]*dto.MetricFamily, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, g.MetricsURL(), nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	return parser.TextToMetricFamilies(resp.Body)
}

// Metric returns the sum of the series of family name whose labels include
// labels: 0 if the family has no such series, an error wrapping
// ErrNoFamily if the gateway exposes no family of that name.
func (g *Gateway) Metric(ctx context.Context, name string, labels map[string]string) (float64, error) {
	fams, err := g.Metrics(ctx)
	if err != nil {
		return 0, err
	}
	return Sum(fams, name, labels)
}

// Baseline is Metric for a reading taken before the event it counts. A
// labelled family (a counter vector) is not exposed at all until its first
// series exists, so here its absence reads as 0. Use it only where a later
// Metric of the same family must succeed, which a misspelt name never does.
func (g *Gateway) Baseline(ctx context.Context, name string, labels map[string]string) (float64, error) {
	return Baseline(g.Metric(ctx, name, labels))
}

// ErrNoFamily is what Sum returns for a metric family that is not in the
// scrape: a misspelt name, or a labelled family before its first event.
var ErrNoFamily = errors.New("no such metric family")

// Baseline turns an ErrNoFamily from Metric or Sum into 0 (see
// Gateway.Baseline) and passes any other result on.
func Baseline(v float64, err error) (float64, error) {
	if errors.Is(err, ErrNoFamily) {
		return 0, nil
	}
	return v, err
}

// Sum adds the values of the series of family name matching labels; 0 if
// none matches. A family that is not there at all is an error (ErrNoFamily):
// read as 0, a misspelt name would pass every "stays at zero" check.
func Sum(fams map[string]*dto.MetricFamily, name string, labels map[string]string) (float64, error) {
	f := fams[name]
	if f == nil {
		return 0, fmt.Errorf("%w: the scrape has no %q (%d families)", ErrNoFamily, name, len(fams))
	}
	total := 0.0
	for _, m := range f.Metric {
		if !matches(m, labels) {
			continue
		}
		switch {
		case m.Counter != nil:
			total += m.Counter.GetValue()
		case m.Gauge != nil:
			total += m.Gauge.GetValue()
		case m.Untyped != nil:
			total += m.Untyped.GetValue()
		case m.Histogram != nil:
			total += float64(m.Histogram.GetSampleCount())
		}
	}
	return total, nil
}

func matches(m *dto.Metric, want map[string]string) bool {
	for k, v := range want {
		found := false
		for _, l := range m.Label {
			if l.GetName() == k && l.GetValue() == v {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}
