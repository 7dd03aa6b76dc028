package prometheus

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/api"
	v1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"
)

// Client queries a Prometheus through its HTTP API (v1) and returns plain
// Go values. Each call is one request: use it with Eventually or
// Consistently, which decide how long a condition may take.
type Client struct{ api v1.API }

// NewClient is a Client for the Prometheus at url (http://host:port).
func NewClient(url string) (*Client, error) {
	c, err := api.NewClient(api.Config{Address: url})
	if err != nil {
		return nil, err
	}
	return &Client{api: v1.NewAPI(c)}, nil
}

// Sample is one series of a query's result.
type Sample struct {
	Labels map[string]string
	Value  float64
	Time   time.Time
}

// Query evaluates promql now. An instant vector gives a sample per series
// (none if it is empty); a scalar gives one sample without labels.
func (c *Client) Query(ctx context.Context, promql string) ([]Sample, error) {
	v, _, _, err := c.api.Query(ctx, promql, time.Now())
	if err != nil {
		return nil, fmt.Errorf("query %q: %w", promql, err)
	}
	switch r := v.(type) {
	case model.Vector:
		out := make([]Sample, 0, len(r))
		for _, s := range r {
			out = append(out, Sample{Labels: labelMap(model.LabelSet(s.Metric)), Value: float64(s.Value), Time: s.Timestamp.Time()})
		}
		return out, nil
	case *model.Scalar:
		return []Sample{{Labels: map[string]string{}, Value: float64(r.Value), Time: r.Timestamp.Time()}}, nil
	}
	return nil, fmt.Errorf("query %q: a %s, not an instant vector or scalar", promql, v.Type())
}

// Value evaluates promql, which must give exactly one sample, and returns
// its value.
func (c *Client) Value(ctx context.Context, promql string) (float64, error) {
	s, err := c.Query(ctx, promql)
	if err != nil {
		return 0, err
	}
	if len(s) != 1 {
		return 0, fmt.Errorf("query %q: %d samples, want exactly 1: %v", promql, len(s), s)
	}
	return s[0].Value, nil
}

// Alert states.
const (
	StatePending = "pending"
	StateFiring  = "firing"
)

// Alert is an active alert: pending (its condition holds, for less than its
// for: bound) or firing.
type Alert struct {
	Name        string
	State       string
	Labels      map[string]string // alertname included
	Annotations map[string]string
	// ActiveAt is when the condition started to hold (the alert became
	// pending); it fires once its for: bound has passed since.
	ActiveAt time.Time
	Value    float64
}

// Alerts returns the active alerts, sorted by name and labels.
func (c *Client) Alerts(ctx context.Context) ([]Alert, error) {
	r, err := c.api.Alerts(ctx)
	if err != nil {
		return nil, fmt.Errorf("alerts: %w", err)
	}
	out := make([]Alert, 0, len(r.Alerts))
	for _, a := range r.Alerts {
		v, _ := strconv.ParseFloat(a.Value, 64)
		out = append(out, Alert{
			Name: string(a.Labels[model.AlertNameLabel]), State: string(a.State),
			Labels: labelMap(a.Labels), Annotations: labelMap(a.Annotations),
			ActiveAt: a.ActiveAt, Value: v,
		})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Name != out[j].Name {
			return out[i].Name < out[j].Name
		}
		return model.LabelSet(toLabelSet(out[i].Labels)).Before(toLabelSet(out[j].Labels))
	})
	return out, nil
}

// AlertsMatching returns the active alerts named name (any name if empty)
// whose labels include labels, in any state.
func (c *Client) AlertsMatching(ctx context.Context, name string, labels map[string]string) ([]Alert, error) {
	all, err := c.Alerts(ctx)
	if err != nil {
		return nil, err
	}
	var out []Alert
	for _, a := range all {
		if (name == "" || a.Name == name) && includes(a.Labels, labels) {
			out = append(out, a)
		}
	}
	return out, nil
}

// Firing returns the firing alerts whose labels include labels: with
// {"namespace": ns}, everything one spec's SUT fires.
func (c *Client) Firing(ctx context.Context, labels map[string]string) ([]Alert, error) {
	all, err := c.AlertsMatching(ctx, "", labels)
	if err != nil {
		return nil, err
	}
	var out []Alert
	for _, a := range all {
		if a.State == StateFiring {
			out = append(out, a)
		}
	}
	return out, nil
}

// AlertFiring reports whether the alert name fires with labels among its
// labels.
func (c *Client) AlertFiring(ctx context.Context, name string, labels map[string]string) (bool, error) {
	as, err := c.AlertsMatching(ctx, name, labels)
	if err != nil {
		return false, err
	}
	for _, a := range as {
		if a.State == StateFiring {
			return true, nil
		}
	}
	return false, nil
}

// ScrapeTarget is an active scrape target and its health.
type ScrapeTarget struct {
	Job        string
	Instance   string
	Labels     map[string]string
	Health     string // up, down or unknown (not scraped yet)
	LastError  string
	LastScrape time.Time
}

// Targets returns the active scrape targets.
func (c *Client) Targets(ctx context.Context) ([]ScrapeTarget, error) {
	r, err := c.api.Targets(ctx)
	if err != nil {
		return nil, fmt.Errorf("targets: %w", err)
	}
	out := make([]ScrapeTarget, 0, len(r.Active))
	for _, t := range r.Active {
		out = append(out, ScrapeTarget{
			Job: string(t.Labels[model.JobLabel]), Instance: string(t.Labels[model.InstanceLabel]),
			Labels: labelMap(t.Labels), Health: string(t.Health), LastError: t.LastError, LastScrape: t.LastScrape,
		})
	}
	return out, nil
}

// TargetUp reports whether a target whose labels include labels is scraped
// successfully. An error says why not, when there is such a target.
func (c *Client) TargetUp(ctx context.Context, labels map[string]string) (bool, error) {
	ts, err := c.Targets(ctx)
	if err != nil {
		return false, err
	}
	found := false
	var lastErr string
	for _, t := range ts {
		if !includes(t.Labels, labels) {
			continue
		}
		if t.Health == string(v1.HealthGood) {
			return true, nil
		}
		found, lastErr = true, t.LastError
	}
	if found && lastErr != "" {
		return false, fmt.Errorf("target %v is down: %s", labels, lastErr)
	}
	return false, nil
}

// Rule is a loaded alerting or recording rule and its last evaluation.
type Rule struct {
	Group          string
	Name           string
	Alerting       bool
	Health         string // ok, err or unknown (not evaluated yet)
	LastError      string
	LastEvaluation time.Time
}

// Rules returns the loaded rules.
func (c *Client) Rules(ctx context.Context) ([]Rule, error) {
	r, err := c.api.Rules(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("rules: %w", err)
	}
	var out []Rule
	for _, g := range r.Groups {
		for _, rr := range g.Rules {
			switch x := rr.(type) {
			case v1.AlertingRule:
				out = append(out, Rule{Group: g.Name, Name: x.Name, Alerting: true, Health: string(x.Health), LastError: x.LastError, LastEvaluation: x.LastEvaluation})
			case v1.RecordingRule:
				out = append(out, Rule{Group: g.Name, Name: x.Name, Health: string(x.Health), LastError: x.LastError, LastEvaluation: x.LastEvaluation})
			}
		}
	}
	return out, nil
}

func labelMap(ls model.LabelSet) map[string]string {
	m := make(map[string]string, len(ls))
	for k, v := range ls {
		m[string(k)] = string(v)
	}
	return m
}

func toLabelSet(m map[string]string) model.LabelSet {
	ls := make(model.LabelSet, len(m))
	for k, v := range m {
		ls[model.LabelName(k)] = model.LabelValue(v)
	}
	return ls
}

// includes reports whether have holds every label of want.
func includes(have, want map[string]string) bool {
	for k, v := range want {
		if have[k] != v {
			return false
		}
	}
	return true
}
