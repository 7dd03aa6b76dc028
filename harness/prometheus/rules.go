package prometheus

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/prometheus/common/model"
	"sigs.k8s.io/yaml"

	"github.com/wasmbed/wasmbed/harness/workspace"
)

// RulesDir is where the SUT ships its rules: sut/config/prometheus in the
// repository.
func RulesDir() (string, error) {
	root, err := workspace.Root()
	if err != nil {
		return "", err
	}
	return filepath.Join(root, "sut", "config", "prometheus"), nil
}

// RuleSpec is one rule as the SUT's rule files define it. Specs read the
// bounds they assert from here (an alert must fire within its For plus
// the time its condition takes to hold), so a changed rule changes the
// assertion with it.
type RuleSpec struct {
	Group       string
	Alert       string // an alerting rule's name
	Record      string // a recording rule's name
	Expr        string
	For         time.Duration
	Labels      map[string]string
	Annotations map[string]string
}

// RuleSet is the rules of a rule directory, in file and group order.
type RuleSet []RuleSpec

// LoadRules reads the rule files (*.rules.yaml) of dir.
func LoadRules(dir string) (RuleSet, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.rules.yaml"))
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("no rule files (*.rules.yaml) in %s", dir)
	}
	var out RuleSet
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		var rf struct {
			Groups []struct {
				Name  string `json:"name"`
				Rules []struct {
					Alert       string            `json:"alert"`
					Record      string            `json:"record"`
					Expr        string            `json:"expr"`
					For         string            `json:"for"`
					Labels      map[string]string `json:"labels"`
					Annotations map[string]string `json:"annotations"`
				} `json:"rules"`
			} `json:"groups"`
		}
		if err := yaml.UnmarshalStrict(data, &rf); err != nil {
			return nil, fmt.Errorf("%s: %w", f, err)
		}
		for _, g := range rf.Groups {
			for _, r := range g.Rules {
				rs := RuleSpec{Group: g.Name, Alert: r.Alert, Record: r.Record, Expr: strings.TrimSpace(r.Expr), Labels: r.Labels, Annotations: r.Annotations}
				if r.For != "" {
					d, err := model.ParseDuration(r.For)
					if err != nil {
						return nil, fmt.Errorf("%s: %s: for: %w", f, r.Alert, err)
					}
					rs.For = time.Duration(d)
				}
				out = append(out, rs)
			}
		}
	}
	return out, nil
}

// Alert returns the alerting rule name.
func (rs RuleSet) Alert(name string) (RuleSpec, bool) {
	for _, r := range rs {
		if r.Alert == name {
			return r, true
		}
	}
	return RuleSpec{}, false
}

var spaces = regexp.MustCompile(`\s+`)

// oneLine folds an expression onto one line.
func oneLine(s string) string { return spaces.ReplaceAllString(strings.TrimSpace(s), " ") }

var labelTemplate = regexp.MustCompile(`\{\{\s*\$labels\.(\w+)\s*\}\}`)

// meaning is the first sentence of an alert's description, its label
// templates written as <label>.
func meaning(description string) string {
	d := labelTemplate.ReplaceAllString(oneLine(description), "<$1>")
	if i := strings.Index(d, ". "); i >= 0 {
		d = d[:i+1]
	}
	return d
}

// Tables renders the rules as the README's tables: alerts (expression,
// for: bound, severity, meaning) and recording rules.
func (rs RuleSet) Tables() string {
	var b strings.Builder
	cell := func(s string) string { return strings.ReplaceAll(s, "|", `\|`) }
	b.WriteString("| Alert | Expression | `for:` | Severity | Meaning |\n| --- | --- | --- | --- | --- |\n")
	for _, r := range rs {
		if r.Alert != "" {
			fmt.Fprintf(&b, "| `%s` | `%s` | %s | %s | %s |\n", r.Alert, cell(oneLine(r.Expr)), model.Duration(r.For), r.Labels["severity"], cell(meaning(r.Annotations["description"])))
		}
	}
	b.WriteString("\n| Recording rule | Expression |\n| --- | --- |\n")
	for _, r := range rs {
		if r.Record != "" {
			fmt.Fprintf(&b, "| `%s` | `%s` |\n", r.Record, cell(oneLine(r.Expr)))
		}
	}
	return b.String()
}
