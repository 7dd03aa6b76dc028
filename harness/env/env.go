package env

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"github.com/wasmbed/wasmbed/harness/observe"
	wasmbedv1 "github.com/wasmbed/wasmbed/sut/api/v1alpha1"
)

// Env is one spec's slice of the run: its own namespace, an artifact folder
// and a cleanup stack.
type Env struct {
	*Suite
	// Name is the spec's name, used for folders.
	Name string
	// Namespace is created for this spec and deleted after it.
	Namespace string
	// ArtifactDir receives process logs and dumps. It is kept under the run's
	// report folder if the spec fails (or WASMBED_KEEP_ARTIFACTS is set),
	// and removed otherwise.
	ArtifactDir string

	mu       sync.Mutex
	cleanups []cleanup
	closed   bool
}

type cleanup struct {
	name string
	fn   func(context.Context) error
}

var slug = regexp.MustCompile(`[^a-z0-9]+`)

// NewEnv creates a namespace and an artifact folder for the spec called name.
func (s *Suite) NewEnv(ctx context.Context, name string) (*Env, error) {
	suffix := make([]byte, 3)
	_, _ = rand.Read(suffix)
	base := strings.Trim(slug.ReplaceAllString(strings.ToLower(name), "-"), "-")
	if len(base) > 40 {
		base = strings.Trim(base[:40], "-")
	}
	ns := fmt.Sprintf("wb-%s-%s", base, hex.EncodeToString(suffix))
	dir, err := os.MkdirTemp("", "wasmbed-spec-")
	if err != nil {
		return nil, err
	}
	e := &Env{Suite: s, Name: name, Namespace: ns, ArtifactDir: dir}
	nsObj := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{
		Name:   ns,
		Labels: map[string]string{"wasmbed.io/harness": "true"},
	}}
	if err := s.Client.Create(ctx, nsObj); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("create namespace %s: %w", ns, err)
	}
	e.Defer("delete namespace "+ns, func(ctx context.Context) error {
		err := s.Client.Delete(ctx, nsObj)
		if apierrors.IsNotFound(err) {
			return nil
		}
		return err
	})
	if err := e.recordPhases(); err != nil {
		_, _ = e.Close(ctx, false)
		return nil, err
	}
	return e, nil
}

// Defer registers fn to run when the Env closes, last registered first.
func (e *Env) Defer(name string, fn func(context.Context) error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.cleanups = append(e.cleanups, cleanup{name, fn})
}

// Close runs the cleanups. If the spec failed, it first dumps the
// namespace's objects and keeps the artifacts under the report folder,
// whose path it returns.
func (e *Env) Close(ctx context.Context, failed bool) (string, error) {
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return "", nil
	}
	e.closed = true
	cs := e.cleanups
	e.mu.Unlock()

	if failed {
		e.dumpObjects(ctx)
	}
	var errs []error
	for i := len(cs) - 1; i >= 0; i-- {
		cctx, cancel := context.WithTimeout(ctx, e.Config.Scale(30*time.Second))
		if err := cs[i].fn(cctx); err != nil {
			errs = append(errs, fmt.Errorf("cleanup %q: %w", cs[i].name, err))
		}
		cancel()
	}
	kept := ""
	if (failed || e.Config.KeepArtifacts) && e.ReportDir != "" {
		sub := "passed"
		if failed {
			sub = "failed"
		}
		kept = filepath.Join(e.ReportDir, sub, e.Namespace)
		if err := os.MkdirAll(filepath.Dir(kept), 0o755); err == nil {
			if err := os.Rename(e.ArtifactDir, kept); err != nil {
				errs = append(errs, err)
				kept = e.ArtifactDir
			}
		}
	} else {
		os.RemoveAll(e.ArtifactDir)
	}
	return kept, errors.Join(errs...)
}

// dumpObjects writes the namespace's Wasmbed objects and events as YAML.
func (e *Env) dumpObjects(ctx context.Context) {
	lists := map[string]client.ObjectList{
		"devices.yaml":      &wasmbedv1.DeviceList{},
		"applications.yaml": &wasmbedv1.ApplicationList{},
		"gateways.yaml":     &wasmbedv1.GatewayList{},
		"events.yaml":       &corev1.EventList{},
	}
	for file, list := range lists {
		if err := e.Client.List(ctx, list, client.InNamespace(e.Namespace)); err != nil {
			continue
		}
		if b, err := yaml.Marshal(list); err == nil {
			_ = os.WriteFile(filepath.Join(e.ArtifactDir, file), b, 0o644)
		}
	}
}

// Kubectl runs the cluster's kubectl against this Env's namespace, as a user
// would, and returns its combined output.
func (e *Env) Kubectl(ctx context.Context, args ...string) (string, error) {
	if e.Shared.KubectlPath == "" {
		return "", errors.New("no kubectl for this cluster")
	}
	full := append([]string{"--kubeconfig", e.Shared.Kubeconfig, "--namespace", e.Namespace}, args...)
	out, err := exec.CommandContext(ctx, e.Shared.KubectlPath, full...).CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("kubectl %s: %w: %s", strings.Join(args, " "), err, out)
	}
	return string(out), nil
}

// Observe returns the pollers of the SUT's published state in this Env's
// namespace.
func (e *Env) Observe() observe.Namespace { return observe.In(e.Client, e.Namespace) }
