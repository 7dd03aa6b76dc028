// Package prometheus holds the SUT's alerting and recording rules
// (wasmbed.rules.yaml, the source), the same rules as a PrometheusRule for
// the Prometheus operator (prometheusrule.yaml, generated from it), their
// promtool unit tests (tests/, run by `make rules-test`), and these Go
// tests, which keep the three in step.
package prometheus

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

var update = flag.Bool("update", false, "rewrite prometheusrule.yaml from wasmbed.rules.yaml (make generate)")

const (
	rulesFile          = "wasmbed.rules.yaml"
	prometheusRuleFile = "prometheusrule.yaml"
)

// ruleFile is the part of Prometheus's rule-file format the checks read.
type ruleFile struct {
	Groups []struct {
		Name  string `yaml:"name"`
		Rules []struct {
			Alert       string            `yaml:"alert"`
			Record      string            `yaml:"record"`
			Expr        string            `yaml:"expr"`
			For         *string           `yaml:"for"`
			Labels      map[string]string `yaml:"labels"`
			Annotations map[string]string `yaml:"annotations"`
		} `yaml:"rules"`
	} `yaml:"groups"`
}

func readRules(t *testing.T) ruleFile {
	t.Helper()
	data, err := os.ReadFile(rulesFile)
	if err != nil {
		t.Fatal(err)
	}
	var rf ruleFile
	if err := yaml.Unmarshal(data, &rf); err != nil {
		t.Fatalf("%s: %v", rulesFile, err)
	}
	return rf
}

// TestPrometheusRuleIsGenerated keeps prometheusrule.yaml the generated
// image of wasmbed.rules.yaml: `make generate` rewrites it, and a stale or
// hand-edited one fails here (make unit).
func TestPrometheusRuleIsGenerated(t *testing.T) {
	src, err := os.ReadFile(rulesFile)
	if err != nil {
		t.Fatal(err)
	}
	want, err := prometheusRule(src)
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.WriteFile(prometheusRuleFile, want, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	got, err := os.ReadFile(prometheusRuleFile)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s is not what %s generates: run `make generate` and commit the result", prometheusRuleFile, rulesFile)
	}
}

// prometheusRule wraps the rule file's groups in a PrometheusRule
// (monitoring.coreos.com/v1), keeping their order, styles and comments.
func prometheusRule(rules []byte) ([]byte, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(rules, &doc); err != nil {
		return nil, err
	}
	var groups *yaml.Node
	root := doc.Content[0]
	for i := 0; i+1 < len(root.Content); i += 2 {
		if root.Content[i].Value == "groups" {
			groups = root.Content[i+1]
		}
	}
	str := func(v string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: v} }
	mapping := func(kv ...*yaml.Node) *yaml.Node {
		return &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Content: kv}
	}
	out := mapping(
		str("apiVersion"), str("monitoring.coreos.com/v1"),
		str("kind"), str("PrometheusRule"),
		str("metadata"), mapping(
			str("name"), str("wasmbed"),
			str("namespace"), str("wasmbed-system"),
			str("labels"), mapping(str("app.kubernetes.io/part-of"), str("wasmbed")),
		),
		str("spec"), mapping(str("groups"), groups),
	)
	out.HeadComment = "Generated from " + rulesFile + " by `make generate`: edit that file, not this one."
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(out); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// TestAlertsCarryBoundsAndRunbooks: every alert says how long its
// condition must hold (the bound the monitoring scenarios assert), how bad
// it is, and what it means and what to check.
func TestAlertsCarryBoundsAndRunbooks(t *testing.T) {
	alerts := 0
	for _, g := range readRules(t).Groups {
		for _, r := range g.Rules {
			if r.Alert == "" {
				continue
			}
			alerts++
			if r.For == nil {
				t.Errorf("%s: no for: bound", r.Alert)
			}
			if s := r.Labels["severity"]; s != "warning" && s != "critical" {
				t.Errorf("%s: severity %q, want warning or critical", r.Alert, s)
			}
			for _, a := range []string{"summary", "description"} {
				if strings.TrimSpace(r.Annotations[a]) == "" {
					t.Errorf("%s: no %s", r.Alert, a)
				}
			}
		}
	}
	if alerts == 0 {
		t.Fatal("no alerts in " + rulesFile)
	}
}

// unitTests is the part of promtool's test-file format the check reads.
type unitTests struct {
	RuleFiles []string `yaml:"rule_files"`
	Tests     []struct {
		AlertRuleTests []struct {
			Alertname string `yaml:"alertname"`
			ExpAlerts []any  `yaml:"exp_alerts"`
		} `yaml:"alert_rule_test"`
		PromQLExprTests []struct {
			Expr string `yaml:"expr"`
		} `yaml:"promql_expr_test"`
	} `yaml:"tests"`
}

// TestEveryRuleHasAPromtoolTest: each alert has a promtool test in which it
// fires and one in which it stays quiet, and each recording rule is
// evaluated by one, so `make rules-test` covers every rule.
func TestEveryRuleHasAPromtoolTest(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("tests", "*.test.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no promtool tests in tests/: %v", err)
	}
	fires, quiet := map[string]bool{}, map[string]bool{}
	var exprs []string
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var ut unitTests
		if err := yaml.Unmarshal(data, &ut); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if len(ut.RuleFiles) != 1 || ut.RuleFiles[0] != "../"+rulesFile {
			t.Errorf("%s: rule_files %v, want [../%s]", f, ut.RuleFiles, rulesFile)
		}
		for _, tc := range ut.Tests {
			for _, a := range tc.AlertRuleTests {
				if len(a.ExpAlerts) > 0 {
					fires[a.Alertname] = true
				} else {
					quiet[a.Alertname] = true
				}
			}
			for _, e := range tc.PromQLExprTests {
				exprs = append(exprs, e.Expr)
			}
		}
	}
	for _, g := range readRules(t).Groups {
		for _, r := range g.Rules {
			switch {
			case r.Alert != "":
				if !fires[r.Alert] {
					t.Errorf("%s: no promtool test in which it fires", r.Alert)
				}
				if !quiet[r.Alert] {
					t.Errorf("%s: no promtool test in which it stays quiet", r.Alert)
				}
			case r.Record != "":
				tested := false
				for _, e := range exprs {
					tested = tested || strings.Contains(e, r.Record)
				}
				if !tested {
					t.Errorf("recording rule %s: no promql_expr_test evaluates it", r.Record)
				}
			}
		}
	}
}
