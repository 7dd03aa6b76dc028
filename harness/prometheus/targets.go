package prometheus

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
)

// Job is a scrape job of the harness's Prometheus.
type Job string

// Target is one endpoint to scrape.
type Target struct {
	// Job is JobGateway or JobController.
	Job Job
	// Addr is host:port of the /metrics endpoint.
	Addr string
	// Labels are attached to every series scraped from it; the harness
	// sets namespace (the spec's) and, for a gateway, gateway (the
	// Gateway object's name), which the alerts carry.
	Labels map[string]string
}

// Targets is the server's target registry: one file per target under a
// directory per job, which Prometheus watches (file_sd) and re-reads every
// interval. Being files, targets can be registered by any process of the
// run (ginkgo -p): hand them Dir and OpenTargets it.
type Targets struct{ dir string }

func newTargets(dir string) (*Targets, error) {
	for _, job := range []Job{JobGateway, JobController} {
		if err := os.MkdirAll(filepath.Join(dir, string(job)), 0o755); err != nil {
			return nil, err
		}
	}
	return &Targets{dir: dir}, nil
}

// OpenTargets opens the registry of a server started by another process.
func OpenTargets(dir string) *Targets { return &Targets{dir: dir} }

// Dir is the registry's directory.
func (t *Targets) Dir() string { return t.dir }

var targetID = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]*$`)

// Set registers (or updates) the target id. The file is written whole and
// renamed into place, so Prometheus never reads half of it.
func (t *Targets) Set(id string, tg Target) error {
	if !targetID.MatchString(id) {
		return fmt.Errorf("target id %q: use letters, digits, '.', '_' and '-'", id)
	}
	if tg.Job != JobGateway && tg.Job != JobController {
		return fmt.Errorf("target %s: job %q is not %s or %s", id, tg.Job, JobGateway, JobController)
	}
	if tg.Addr == "" {
		return fmt.Errorf("target %s: no address", id)
	}
	for _, other := range []Job{JobGateway, JobController} {
		if other == tg.Job {
			continue // replaced in place below: no moment without it
		}
		if err := os.Remove(filepath.Join(t.dir, string(other), id+".json")); err != nil && !os.IsNotExist(err) {
			return err
		}
	}
	group := []map[string]any{{"targets": []string{tg.Addr}, "labels": tg.Labels}}
	data, err := json.Marshal(group)
	if err != nil {
		return err
	}
	dir := filepath.Join(t.dir, string(tg.Job))
	tmp, err := os.CreateTemp(dir, "."+id+".*.tmp") // not *.json: Prometheus ignores it
	if err != nil {
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return err
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	if err := os.Rename(tmp.Name(), filepath.Join(dir, id+".json")); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return nil
}

// Remove unregisters the target id, whatever its job; removing one that is
// not registered is no error. Prometheus ends its series (stale markers),
// so alerts on them resolve.
func (t *Targets) Remove(id string) error {
	for _, job := range []Job{JobGateway, JobController} {
		if err := os.Remove(filepath.Join(t.dir, string(job), id+".json")); err != nil && !os.IsNotExist(err) {
			return err
		}
	}
	return nil
}
