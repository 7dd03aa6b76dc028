package sutproc

import (
	"errors"
	"strings"
	"testing"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

const scrape = `# HELP wasmbed_gateway_refusals_total Refusals.
# TYPE wasmbed_gateway_refusals_total counter
wasmbed_gateway_refusals_total{reason="token_reused",stage="enrollment"} 2
wasmbed_gateway_refusals_total{reason="unknown_key",stage="enrollment"} 3
# HELP go_goroutines Goroutines.
# TYPE go_goroutines gauge
go_goroutines 41
`

func TestSum(t *testing.T) {
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(strings.NewReader(scrape))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"wasmbed_gateway_refusals_total", nil, 5},
		{"wasmbed_gateway_refusals_total", map[string]string{"reason": "unknown_key"}, 3},
		{"wasmbed_gateway_refusals_total", map[string]string{"reason": "token_expired"}, 0}, // the family is there, the series not yet
		{"go_goroutines", nil, 41},
	} {
		got, err := Sum(fams, c.name, c.labels)
		if err != nil || got != c.want {
			t.Errorf("Sum(%s, %v) = %v, %v; want %v", c.name, c.labels, got, err, c.want)
		}
	}

	// A misspelt family is an error, not a zero that passes "stays at zero".
	if got, err := Sum(fams, "wasmbed_gateway_refusal_total", nil); !errors.Is(err, ErrNoFamily) {
		t.Errorf("Sum of a missing family = %v, %v; want ErrNoFamily", got, err)
	}
	if got, err := Baseline(Sum(fams, "wasmbed_gateway_enrollments_total", nil)); err != nil || got != 0 {
		t.Errorf("Baseline of a family not exposed yet = %v, %v; want 0", got, err)
	}
	if got, err := Baseline(Sum(fams, "go_goroutines", nil)); err != nil || got != 41 {
		t.Errorf("Baseline of a present family = %v, %v; want 41", got, err)
	}
}
