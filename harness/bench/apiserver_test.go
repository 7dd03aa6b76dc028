package bench

import (
	"context"
	"strings"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"k8s.io/client-go/kubernetes"

	"github.com/wasmbed/wasmbed/harness/env"
)

// deviceWrites reads the API server's own count of mutating requests on
// wasmbed devices (and their status), from its /metrics. Other namespaces'
// traffic would count too, so benchmarks run alone on their cluster.
func deviceWrites(ctx context.Context, e *env.Env) (float64, error) {
	cs, err := kubernetes.NewForConfig(e.RESTConfig)
	if err != nil {
		return 0, err
	}
	raw, err := cs.CoreV1().RESTClient().Get().AbsPath("/metrics").DoRaw(ctx)
	if err != nil {
		return 0, err
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(strings.NewReader(string(raw)))
	if err != nil {
		return 0, err
	}
	total := 0.0
	for _, m := range fams["apiserver_request_total"].GetMetric() {
		labels := map[string]string{}
		for _, l := range m.GetLabel() {
			labels[l.GetName()] = l.GetValue()
		}
		if labels["group"] != "wasmbed.io" || labels["resource"] != "devices" {
			continue
		}
		switch labels["verb"] {
		case "POST", "PUT", "PATCH", "DELETE", "APPLY":
			total += m.GetCounter().GetValue()
		}
	}
	return total, nil
}
