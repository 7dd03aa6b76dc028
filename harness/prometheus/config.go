package prometheus

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"k8s.io/client-go/rest"
	"sigs.k8s.io/yaml"
)

const configFile = "prometheus.yml"

// The scrape jobs. The rules name the Wasmbed jobs (the target-down and
// reconcile-error alerts select on them), so these are the names a
// cluster's PodMonitors give them too.
const (
	JobGateway    Job = "wasmbed-gateway"
	JobController Job = "wasmbed-controller"
	JobAPIServer  Job = "kube-apiserver"
)

// apiServerMetrics are the API server's series kept: the request counts
// (the recording rule of Device status writes) and latencies. The rest of
// its thousands of series would cost memory and scrape time for nothing.
const apiServerMetrics = "apiserver_request_total|apiserver_request_duration_seconds_(bucket|sum|count)|apiserver_current_inflight_requests|etcd_request_duration_seconds_(bucket|sum|count)"

// apiServerInterval: the API server's scrape is large and no rule needs it
// within seconds.
const apiServerInterval = 5 * time.Second

// writeConfig writes prometheus.yml: the rules, a file_sd job per Wasmbed
// component, and the API server if apiServer is set.
func writeConfig(dir string, interval time.Duration, apiServer *rest.Config) error {
	cfg := map[string]any{
		"global": map[string]any{
			"scrape_interval":     interval.String(),
			"scrape_timeout":      interval.String(),
			"evaluation_interval": interval.String(),
		},
		"rule_files": []string{filepath.Join(dir, "rules", "*.rules.yaml")},
	}
	var jobs []any
	for _, job := range []Job{JobGateway, JobController} {
		jobs = append(jobs, map[string]any{
			"job_name": string(job),
			// The controller's series carry the namespace and gateway of
			// the objects they describe; they win over target labels.
			"honor_labels": true,
			"file_sd_configs": []any{map[string]any{
				"files":            []string{filepath.Join(dir, "targets", string(job), "*.json")},
				"refresh_interval": interval.String(),
			}},
		})
	}
	if apiServer != nil {
		job, err := apiServerJob(dir, apiServer)
		if err != nil {
			return err
		}
		jobs = append(jobs, job)
	}
	cfg["scrape_configs"] = jobs
	data, err := yaml.Marshal(cfg)
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, configFile), data, 0o644)
}

// apiServerJob scrapes the API server's /metrics over TLS with the
// harness's credentials, written into the work directory (mode 0600).
func apiServerJob(dir string, rc *rest.Config) (map[string]any, error) {
	u, err := url.Parse(rc.Host)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("API server address %q: %v", rc.Host, err)
	}
	if u.Scheme != "https" {
		return nil, fmt.Errorf("API server %s: only https is scraped", rc.Host)
	}
	credDir := filepath.Join(dir, "apiserver")
	if err := os.MkdirAll(credDir, 0o700); err != nil {
		return nil, err
	}
	// file returns a path holding data, or path itself.
	file := func(name string, data []byte, path string) (string, error) {
		if len(data) == 0 {
			return path, nil
		}
		p := filepath.Join(credDir, name)
		return p, os.WriteFile(p, data, 0o600)
	}
	tls := map[string]any{}
	if rc.TLSClientConfig.Insecure {
		tls["insecure_skip_verify"] = true
	}
	if ca, err := file("ca.crt", rc.TLSClientConfig.CAData, rc.TLSClientConfig.CAFile); err != nil {
		return nil, err
	} else if ca != "" {
		tls["ca_file"] = ca
	}
	if sn := rc.TLSClientConfig.ServerName; sn != "" {
		tls["server_name"] = sn
	}
	job := map[string]any{
		"job_name":        string(JobAPIServer),
		"scheme":          "https",
		"scrape_interval": apiServerInterval.String(),
		"scrape_timeout":  apiServerInterval.String(),
		"tls_config":      tls,
		"static_configs":  []any{map[string]any{"targets": []string{u.Host}}},
		"metric_relabel_configs": []any{map[string]any{
			"source_labels": []string{"__name__"},
			"regex":         apiServerMetrics,
			"action":        "keep",
		}},
	}
	cert, err := file("client.crt", rc.TLSClientConfig.CertData, rc.TLSClientConfig.CertFile)
	if err != nil {
		return nil, err
	}
	key, err := file("client.key", rc.TLSClientConfig.KeyData, rc.TLSClientConfig.KeyFile)
	if err != nil {
		return nil, err
	}
	token, err := file("token", []byte(rc.BearerToken), rc.BearerTokenFile)
	if err != nil {
		return nil, err
	}
	switch {
	case cert != "" && key != "":
		tls["cert_file"], tls["key_file"] = cert, key
	case token != "":
		job["authorization"] = map[string]any{"type": "Bearer", "credentials_file": token}
	default:
		return nil, errors.New("the API server's REST config has neither a client certificate nor a bearer token for Prometheus to scrape it with")
	}
	return job, nil
}
