package kind

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// runShim writes a shim in front of a fake docker that prints its
// arguments one per line, runs the shim with args and returns what the
// fake docker received.
func runShim(t *testing.T, cfg shimConfig, args ...string) []string {
	t.Helper()
	dir := t.TempDir()
	fake := filepath.Join(dir, "real-docker")
	if err := os.WriteFile(fake, []byte("#!/bin/sh\nfor a; do printf '%s\\n' \"$a\"; done\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	cfg.realDocker = fake
	shim := filepath.Join(dir, "docker")
	if err := os.WriteFile(shim, []byte(shimScript(cfg)), 0o755); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(shim, args...).Output()
	if err != nil {
		t.Fatalf("shim %v: %v", args, err)
	}
	return strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
}

var restricted = Engine{Denied: []string{"CAP_SYS_RESOURCE"}}

func shimCfg(e Engine) shimConfig {
	c := shimConfig{labels: map[string]string{"wasmbed.io/owner": "1.2", "wasmbed.io/harness": "true"}, network: "wasmbed-x"}
	if e.Restricted() {
		c.privileged, c.dropExecPrivileged = e.NodeArgs(), true
	}
	return c
}

func TestShimRewritesOnlyKindNodeRuns(t *testing.T) {
	node := []string{"run", "--name", "x-control-plane", "--label", kindClusterLabel + "=x", "--privileged",
		"--security-opt", "seccomp=unconfined", "-e", "A=has spaces and 'quotes'", "img:tag"}
	got := runShim(t, shimCfg(restricted), node...)
	want := []string{"run", "--label=wasmbed.io/harness=true", "--label=wasmbed.io/owner=1.2", "--name", "x-control-plane",
		"--label", kindClusterLabel + "=x", "--cap-add=ALL", "--cap-drop=SYS_RESOURCE",
		"--security-opt=systempaths=unconfined", "--device=/dev/kmsg", "--device-cgroup-rule=a *:* rwm",
		"--security-opt", "seccomp=unconfined", "-e", "A=has spaces and 'quotes'", "img:tag"}
	if strings.Join(got, "\x00") != strings.Join(want, "\x00") {
		t.Errorf("restricted node run:\n got %q\nwant %q", got, want)
	}

	// A privileged engine: the node keeps --privileged, gains the labels.
	got = runShim(t, shimCfg(Engine{Privileged: true}), node...)
	if !contains(got, "--privileged") || contains(got, "--cap-add=ALL") || !contains(got, "--label=wasmbed.io/owner=1.2") {
		t.Errorf("privileged node run: %q", got)
	}

	// Not a kind node: untouched, --privileged and all.
	other := []string{"run", "--rm", "--privileged", "busybox", "true"}
	if got := runShim(t, shimCfg(restricted), other...); strings.Join(got, " ") != strings.Join(other, " ") {
		t.Errorf("other run: got %q", got)
	}
}

func TestShimExecAndNetwork(t *testing.T) {
	exec := []string{"exec", "--privileged", "-i", "x-control-plane", "ctr", "--privileged"}
	if got := runShim(t, shimCfg(restricted), exec...); strings.Join(got, " ") != "exec -i x-control-plane ctr --privileged" {
		t.Errorf("restricted exec: got %q (only kind's own --privileged goes)", got)
	}
	if got := runShim(t, shimCfg(Engine{Privileged: true}), exec...); strings.Join(got, " ") != strings.Join(exec, " ") {
		t.Errorf("privileged exec: got %q", got)
	}
	got := runShim(t, shimCfg(restricted), "network", "create", "-d=bridge", "wasmbed-x")
	if strings.Join(got, " ") != "network create --label=wasmbed.io/harness=true --label=wasmbed.io/owner=1.2 -d=bridge wasmbed-x" {
		t.Errorf("network create: got %q", got)
	}
	if got := runShim(t, shimCfg(restricted), "network", "create", "other"); strings.Join(got, " ") != "network create other" {
		t.Errorf("another network: got %q", got)
	}
	if got := runShim(t, shimCfg(restricted), "ps", "-a"); strings.Join(got, " ") != "ps -a" {
		t.Errorf("ps: got %q", got)
	}
}

func TestShimIsOnPathOnlyDuringKindCalls(t *testing.T) {
	dir := t.TempDir()
	t.Setenv(networkEnv, "before")
	s := &dockerShim{dir: dir, network: "wasmbed-x"}
	before := os.Getenv("PATH")
	var during bool
	var net string
	if err := s.do(func() error {
		during, net = inPath(dir), os.Getenv(networkEnv)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if !during || net != "wasmbed-x" {
		t.Errorf("during the call: shim on PATH %v, %s=%q", during, networkEnv, net)
	}
	if os.Getenv("PATH") != before || os.Getenv(networkEnv) != "before" {
		t.Errorf("after the call: PATH %q (was %q), %s=%q", os.Getenv("PATH"), before, networkEnv, os.Getenv(networkEnv))
	}
}

func TestNodeArgs(t *testing.T) {
	if got := (Engine{Privileged: true}).NodeArgs(); strings.Join(got, " ") != "--privileged" {
		t.Errorf("privileged engine: %q", got)
	}
	got := Engine{Denied: []string{"CAP_SYS_RESOURCE", "CAP_BPF"}}.NodeArgs()
	for _, want := range []string{"--cap-add=ALL", "--cap-drop=SYS_RESOURCE", "--cap-drop=BPF", "--security-opt=systempaths=unconfined", "--device=/dev/kmsg", "--device-cgroup-rule=a *:* rwm"} {
		if !contains(got, want) {
			t.Errorf("restricted engine: %q lacks %s", got, want)
		}
	}
	if contains(got, "--privileged") {
		t.Errorf("restricted engine: %q", got)
	}
}

func TestHasImage(t *testing.T) {
	list := "docker.io/wasmbed/gateway:abc\nregistry.k8s.io/pause:3.10.1\nsha256:0123\n"
	if !hasImage(list, "wasmbed/gateway:abc") || hasImage(list, "wasmbed/gateway:abd") || hasImage(list, "gateway:abc") {
		t.Error("hasImage matches the wrong names")
	}
}

// inPath reports whether dir is on PATH.
func inPath(dir string) bool {
	return slices.Contains(filepath.SplitList(os.Getenv("PATH")), dir)
}

func contains(list []string, s string) bool {
	for _, l := range list {
		if l == s {
			return true
		}
	}
	return false
}
