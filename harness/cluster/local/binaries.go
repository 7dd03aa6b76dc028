package local

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/mod/modfile"

	"github.com/wasmbed/wasmbed/harness/cache"
	"github.com/wasmbed/wasmbed/harness/cluster"
	"github.com/wasmbed/wasmbed/harness/workspace"
)

// buildModuleDir is the kubebuild module, relative to the repository root.
const buildModuleDir = "harness/cluster/local/kubebuild"

// Binaries are the paths of the built control-plane binaries.
type Binaries struct {
	Dir                   string
	Version               string
	Etcd                  string
	KubeAPIServer         string
	KubeControllerManager string
	Kubectl               string
}

// buildTargets are built in one `go build` so shared packages compile once.
var buildTargets = []struct{ pkg, out string }{
	{"go.etcd.io/etcd/server/v3", "etcd"},
	{"k8s.io/kubernetes/cmd/kube-apiserver", "kube-apiserver"},
	{"k8s.io/kubernetes/cmd/kube-controller-manager", "kube-controller-manager"},
	{"k8s.io/kubernetes/cmd/kubectl", "kubectl"},
}

// EnsureBinaries returns the control-plane binaries, building them into the
// cache first if needed. Concurrent callers (ginkgo -p) share one build.
func EnsureBinaries(ctx context.Context, progress cluster.Progress) (*Binaries, error) {
	root, err := workspace.Root()
	if err != nil {
		return nil, err
	}
	modDir := filepath.Join(root, buildModuleDir)
	gomod, err := os.ReadFile(filepath.Join(modDir, "go.mod"))
	if err != nil {
		return nil, err
	}
	gosum, err := os.ReadFile(filepath.Join(modDir, "go.sum"))
	if err != nil {
		return nil, err
	}
	version, err := kubernetesVersion(gomod)
	if err != nil {
		return nil, err
	}
	h := sha256.New()
	h.Write(gomod)
	h.Write(gosum)
	key := fmt.Sprintf("%s-%s", version, hex.EncodeToString(h.Sum(nil))[:12])

	dir, err := cache.Ensure("k8s", key, func(tmp string) error {
		return goBuild(ctx, modDir, tmp, version, progress)
	})
	if err != nil {
		return nil, err
	}
	return &Binaries{
		Dir:                   dir,
		Version:               version,
		Etcd:                  filepath.Join(dir, "etcd"),
		KubeAPIServer:         filepath.Join(dir, "kube-apiserver"),
		KubeControllerManager: filepath.Join(dir, "kube-controller-manager"),
		Kubectl:               filepath.Join(dir, "kubectl"),
	}, nil
}

func kubernetesVersion(gomod []byte) (string, error) {
	f, err := modfile.ParseLax("go.mod", gomod, nil)
	if err != nil {
		return "", err
	}
	for _, r := range f.Require {
		if r.Mod.Path == "k8s.io/kubernetes" {
			return r.Mod.Version, nil
		}
	}
	return "", fmt.Errorf("%s/go.mod does not require k8s.io/kubernetes", buildModuleDir)
}

// goBuild compiles every target into out, printing how many packages are
// done: a cold build takes minutes and must not look hung.
func goBuild(ctx context.Context, modDir, out, version string, progress cluster.Progress) error {
	pkgs := make([]string, len(buildTargets))
	for i, t := range buildTargets {
		pkgs[i] = t.pkg
	}
	progress.Printf("building Kubernetes %s (etcd, kube-apiserver, kube-controller-manager, kubectl) from source; a cold build takes about 8 minutes on 2 cores", version)

	progress.Printf("downloading modules for Kubernetes %s", version)
	dl := exec.CommandContext(ctx, "go", "mod", "download")
	dl.Dir = modDir
	if outb, err := dl.CombinedOutput(); err != nil {
		return fmt.Errorf("go mod download in %s: %w\n%s", modDir, err, outb)
	}

	total := countDeps(ctx, modDir, pkgs)
	major, minor, _ := strings.Cut(strings.TrimPrefix(version, "v"), ".")
	minor, _, _ = strings.Cut(minor, ".")
	ldflags := []string{"-s", "-w"}
	for _, p := range []string{"k8s.io/component-base/version", "k8s.io/client-go/pkg/version"} {
		ldflags = append(ldflags,
			"-X", p+".gitVersion="+version,
			"-X", p+".gitMajor="+major,
			"-X", p+".gitMinor="+minor,
			"-X", p+".gitTreeState=clean",
		)
	}
	args := append([]string{"build", "-v", "-trimpath", "-ldflags", strings.Join(ldflags, " "), "-o", out + "/"}, pkgs...)
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = modDir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return err
	}
	cmd.Stdout = io.Discard
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return err
	}
	var tail []string
	done, last := 0, time.Now()
	sc := bufio.NewScanner(stderr)
	for sc.Scan() {
		line := sc.Text()
		if strings.Contains(line, " ") || strings.HasPrefix(line, "#") {
			tail = append(tail, line) // compiler output, not a package name
			if len(tail) > 50 {
				tail = tail[1:]
			}
			continue
		}
		done++
		if time.Since(last) > 15*time.Second {
			last = time.Now()
			progress.Printf("  compiled %d of up to %d packages (%s)", done, total, time.Since(start).Round(time.Second))
		}
	}
	if err := cmd.Wait(); err != nil {
		return fmt.Errorf("building Kubernetes %s failed: %w\n%s", version, err, strings.Join(tail, "\n"))
	}
	// go build names a module's root main package after its last
	// non-version element; give every binary its usual name.
	for _, t := range buildTargets {
		got := filepath.Join(out, binaryName(t.pkg))
		if got != filepath.Join(out, t.out) {
			if err := os.Rename(got, filepath.Join(out, t.out)); err != nil {
				return err
			}
		}
	}
	progress.Printf("built Kubernetes %s in %s", version, time.Since(start).Round(time.Second))
	return nil
}

func binaryName(pkg string) string {
	elems := strings.Split(pkg, "/")
	last := elems[len(elems)-1]
	if len(elems) > 1 && len(last) > 1 && last[0] == 'v' && strings.Trim(last[1:], "0123456789") == "" {
		last = elems[len(elems)-2]
	}
	return last
}

// countDeps counts the packages a build may have to compile.
func countDeps(ctx context.Context, modDir string, pkgs []string) int {
	cmd := exec.CommandContext(ctx, "go", append([]string{"list", "-deps", "-f", "{{.ImportPath}}"}, pkgs...)...)
	cmd.Dir = modDir
	out, err := cmd.Output()
	if err != nil {
		return 0
	}
	return strings.Count(string(out), "\n")
}
