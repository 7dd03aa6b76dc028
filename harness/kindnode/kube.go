package kindnode

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/mod/modfile"

	"github.com/wasmbed/wasmbed/harness/cache"
	"github.com/wasmbed/wasmbed/harness/workspace"
)

// BuildModuleDir is the node image's Kubernetes build module.
const BuildModuleDir = "harness/kindnode/kubebuild"

// CriToolsModuleDir is the build module of crictl.
const CriToolsModuleDir = "harness/kindnode/critools"

// nodeTargets are built in one go build; out is the binary's name.
var nodeTargets = []struct{ pkg, out string }{
	{"k8s.io/kubernetes/cmd/kubelet", "kubelet"},
	{"k8s.io/kubernetes/cmd/kubeadm", "kubeadm"},
	{"k8s.io/kubernetes/cmd/kubectl", "kubectl"},
	{"k8s.io/kubernetes/cmd/kube-apiserver", "kube-apiserver"},
	{"k8s.io/kubernetes/cmd/kube-controller-manager", "kube-controller-manager"},
	{"k8s.io/kubernetes/cmd/kube-scheduler", "kube-scheduler"},
	{"k8s.io/kubernetes/cmd/kube-proxy", "kube-proxy"},
	{"go.etcd.io/etcd/server/v3", "etcd"},
	{"github.com/wasmbed/wasmbed/harness/kindnode/pause", "pause"},
	{"sigs.k8s.io/cri-tools/cmd/crictl", "crictl"},
}

// Versions of the parts, as kubeadm names their images.
type Versions struct {
	Kubernetes string // v1.34.3
	Etcd       string // v3.6.4
}

// ModuleVersions reads the pinned versions from a build module's go.mod.
func ModuleVersions(gomod []byte) (Versions, error) {
	f, err := modfile.ParseLax("go.mod", gomod, nil)
	if err != nil {
		return Versions{}, err
	}
	var v Versions
	for _, r := range f.Require {
		switch r.Mod.Path {
		case "k8s.io/kubernetes":
			v.Kubernetes = r.Mod.Version
		case "go.etcd.io/etcd/server/v3":
			v.Etcd = r.Mod.Version
		}
	}
	if v.Kubernetes == "" || v.Etcd == "" {
		return v, fmt.Errorf("%s/go.mod must require k8s.io/kubernetes and go.etcd.io/etcd/server/v3", BuildModuleDir)
	}
	return v, nil
}

// ensureBinaries builds the node's binaries from source into the cache.
func ensureBinaries(ctx context.Context, pr Progress) (string, Versions, error) {
	root, err := workspace.Root()
	if err != nil {
		return "", Versions{}, err
	}
	modDir := filepath.Join(root, BuildModuleDir)
	gomod, err := os.ReadFile(filepath.Join(modDir, "go.mod"))
	if err != nil {
		return "", Versions{}, err
	}
	gosum, err := os.ReadFile(filepath.Join(modDir, "go.sum"))
	if err != nil {
		return "", Versions{}, err
	}
	pause, err := os.ReadFile(filepath.Join(root, "harness", "kindnode", "pause", "main.go"))
	if err != nil {
		return "", Versions{}, err
	}
	criDir := filepath.Join(root, CriToolsModuleDir)
	crimod, err := os.ReadFile(filepath.Join(criDir, "go.mod"))
	if err != nil {
		return "", Versions{}, err
	}
	crisum, err := os.ReadFile(filepath.Join(criDir, "go.sum"))
	if err != nil {
		return "", Versions{}, err
	}
	v, err := ModuleVersions(gomod)
	if err != nil {
		return "", Versions{}, err
	}
	h := sha256.New()
	h.Write(gomod)
	h.Write(gosum)
	h.Write(pause)
	h.Write(crimod)
	h.Write(crisum)
	key := v.Kubernetes + "-" + hex.EncodeToString(h.Sum(nil))[:12]
	dir, err := cache.Ensure("kind-node-bin", key, func(out string) error {
		start := time.Now()
		pr.Printf("building Kubernetes %s node binaries and etcd %s from source (kubelet, kubeadm, kubectl, control plane; a cold build takes 10+ minutes on 2 cores)", v.Kubernetes, v.Etcd)
		major, minor, _ := strings.Cut(strings.TrimPrefix(v.Kubernetes, "v"), ".")
		minor, _, _ = strings.Cut(minor, ".")
		ldflags := []string{"-s", "-w"}
		for _, p := range []string{"k8s.io/component-base/version", "k8s.io/client-go/pkg/version"} {
			ldflags = append(ldflags, "-X", p+".gitVersion="+v.Kubernetes, "-X", p+".gitMajor="+major,
				"-X", p+".gitMinor="+minor, "-X", p+".gitTreeState=clean")
		}
		var k8s []string
		for _, t := range nodeTargets {
			if t.out != "pause" && t.out != "crictl" {
				k8s = append(k8s, t.pkg)
			}
		}
		args := append([]string{"build", "-trimpath", "-ldflags", strings.Join(ldflags, " "), "-o", out + "/"}, k8s...)
		if err := goBuild(ctx, modDir, args); err != nil {
			return err
		}
		if err := os.Rename(filepath.Join(out, "server"), filepath.Join(out, "etcd")); err != nil {
			return fmt.Errorf("etcd binary: %w", err)
		}
		// pause is this repository's own package: build it from the root.
		if err := goBuild(ctx, root, []string{"build", "-trimpath", "-ldflags=-s -w", "-o", filepath.Join(out, "pause"), "./harness/kindnode/pause"}); err != nil {
			return err
		}
		// crictl is built in a module of its own (see critools/tools.go).
		criVersion := ""
		if f, err := modfile.ParseLax("go.mod", crimod, nil); err == nil {
			for _, r := range f.Require {
				if r.Mod.Path == "sigs.k8s.io/cri-tools" {
					criVersion = r.Mod.Version
				}
			}
		}
		if err := goBuild(ctx, criDir, []string{"build", "-trimpath", "-ldflags=-s -w -X sigs.k8s.io/cri-tools/pkg/version.Version=" + criVersion,
			"-o", filepath.Join(out, "crictl"), "sigs.k8s.io/cri-tools/cmd/crictl"}); err != nil {
			return err
		}
		pr.Printf("node binaries built in %s", time.Since(start).Round(time.Second))
		return nil
	})
	return dir, v, err
}

func goBuild(ctx context.Context, dir string, args []string) error {
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go %s (in %s): %w\n%s", strings.Join(args, " "), dir, err, out)
	}
	return nil
}

// KubeadmPatches are the kubeadm config patches (kind's
// kubeadmConfigPatches) a cluster of the offline node image needs:
// kubeadm's etcd image tag is its own pin (3.6.5-0 for v1.34), the image
// carries the etcd the build module pins, tagged by that version; and the
// image ships no CoreDNS (it is not built here), so kubeadm's CoreDNS
// add-on, whose pods could only wait for a pull that cannot happen, is
// skipped. In-cluster DNS is therefore absent; the SUT does not use it
// (its pods reach the API server by the address Kubernetes gives them).
func KubeadmPatches() ([]string, error) {
	root, err := workspace.Root()
	if err != nil {
		return nil, err
	}
	gomod, err := os.ReadFile(filepath.Join(root, BuildModuleDir, "go.mod"))
	if err != nil {
		return nil, err
	}
	v, err := ModuleVersions(gomod)
	if err != nil {
		return nil, err
	}
	return []string{
		fmt.Sprintf("kind: ClusterConfiguration\netcd:\n  local:\n    imageTag: %q\n", etcdTag(v)),
		"kind: InitConfiguration\nskipPhases:\n- addon/coredns\n",
	}, nil
}

// etcdTag is the tag of the node image's etcd image, as kubeadm writes
// etcd versions.
func etcdTag(v Versions) string { return strings.TrimPrefix(v.Etcd, "v") + "-0" }
