package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/wasmbed/wasmbed/harness/config"
	"github.com/wasmbed/wasmbed/harness/env"
	"github.com/wasmbed/wasmbed/harness/proc"
	"github.com/wasmbed/wasmbed/harness/workspace"
	wasmbedv1 "github.com/wasmbed/wasmbed/sut/api/v1alpha1"
)

// TestUp runs the real `harness up --devices 2` as a person would: it
// waits for the "ready" line, lists the Devices through the kubeconfig it
// printed, attaches one more device with the command it printed, then
// presses Ctrl-C (SIGINT) and checks that every process up started is
// gone, and its cluster directory and logs with them.
func TestUp(t *testing.T) {
	g := NewWithT(t)
	cfg := config.FromEnv()
	root, err := workspace.Root()
	g.Expect(err).NotTo(HaveOccurred())
	bin := filepath.Join(t.TempDir(), "harness")
	build := exec.Command("go", "build", "-o", bin, "./harness/cmd/harness")
	build.Dir = root
	out, err := build.CombinedOutput()
	g.Expect(err).NotTo(HaveOccurred(), "go build: %s", out)

	By := func(step string) { t.Logf("%s: %s", time.Now().Format("15:04:05"), step) }

	By("given `harness up --devices 2` running")
	up := exec.Command(bin, "up", "--devices", "2")
	up.Dir = root
	up.Env = append(os.Environ(), "WASMBED_CLUSTER=local", "WASMBED_REPORTS="+t.TempDir())
	var stdout lines
	var stderr bytes.Buffer
	pipe, err := up.StdoutPipe()
	g.Expect(err).NotTo(HaveOccurred())
	up.Stderr = &stderr
	g.Expect(up.Start()).To(Succeed())
	exited := make(chan error, 1)
	go func() {
		sc := bufio.NewScanner(pipe)
		for sc.Scan() {
			stdout.add(sc.Text())
		}
		exited <- up.Wait()
	}()
	var exitErr error
	done := false
	finished := func() bool {
		if !done {
			select {
			case exitErr = <-exited:
				done = true
			default:
			}
		}
		return done
	}
	t.Cleanup(func() { // a failed test must not leave up running
		if !finished() {
			_ = up.Process.Signal(syscall.SIGINT)
			select {
			case <-exited:
			case <-time.After(cfg.Scale(2 * time.Minute)):
				_ = up.Process.Kill()
			}
		}
	})
	report := func() string { return "stdout:\n" + stdout.String() + "\nstderr:\n" + stderr.String() }

	// A cold machine builds Kubernetes from source first (~10 min).
	g.Eventually(func() (string, error) {
		if finished() {
			return "", StopTrying(fmt.Sprintf("harness up exited (%v) before it was ready", exitErr))
		}
		return stdout.String(), nil
	}).WithTimeout(cfg.Scale(20*time.Minute)).WithPolling(200*time.Millisecond).
		Should(ContainSubstring("\nready: "), report)
	token := proc.OwnerToken(up.Process.Pid)
	owned := ownedBy(token)
	g.Expect(owned).To(ContainElements("etcd", "kube-apiserver", "controller", "gateway", "device"), "the processes up owns")
	g.Expect(count(owned, "device")).To(Equal(2), "device processes: %v", owned)

	By("when the Devices are listed through the printed kubeconfig")
	kubeconfig, ns := stdout.field("kubeconfig:"), stdout.field("namespace:")
	g.Expect(kubeconfig).To(BeAnExistingFile())
	rc, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	g.Expect(err).NotTo(HaveOccurred())
	c, err := client.New(rc, client.Options{Scheme: env.Scheme})
	g.Expect(err).NotTo(HaveOccurred())
	phases := func(ctx context.Context) (map[string]wasmbedv1.DevicePhase, error) {
		var l wasmbedv1.DeviceList
		if err := c.List(ctx, &l, client.InNamespace(ns)); err != nil {
			return nil, err
		}
		m := map[string]wasmbedv1.DevicePhase{}
		for _, d := range l.Items {
			m[d.Name] = d.Status.Phase
		}
		return m, nil
	}
	ctx := context.Background()
	By("then both devices are Connected")
	g.Expect(phases(ctx)).To(Equal(map[string]wasmbedv1.DevicePhase{"dev-00": wasmbedv1.DeviceConnected, "dev-01": wasmbedv1.DeviceConnected}))

	By("when one more device is attached with the printed command")
	argv := strings.Fields(stdout.lineWith(" -token "))
	g.Expect(argv).To(ContainElements("-gateway", "-name", "-ca", "-flash"), report)
	manual := exec.Command(argv[0], argv[1:]...)
	var manualLog bytes.Buffer
	manual.Stdout, manual.Stderr = &manualLog, &manualLog
	g.Expect(manual.Start()).To(Succeed())
	manualDone := make(chan struct{})
	go func() { _ = manual.Wait(); close(manualDone) }()
	defer func() { _ = manual.Process.Signal(syscall.SIGTERM); <-manualDone }()
	By("then it enrols with the fresh token and is Connected")
	g.Eventually(phases).WithContext(ctx).WithTimeout(cfg.Scale(30*time.Second)).
		Should(HaveKeyWithValue("manual-00", wasmbedv1.DeviceConnected), func() string { return manualLog.String() })
	_ = manual.Process.Signal(syscall.SIGTERM)
	<-manualDone

	By("when up gets Ctrl-C")
	logs := strings.Fields(stdout.field("logs:"))[0]
	g.Expect(logs).To(BeADirectory())
	g.Expect(up.Process.Signal(syscall.SIGINT)).To(Succeed())
	g.Eventually(finished).WithTimeout(cfg.Scale(2*time.Minute)).WithPolling(100*time.Millisecond).Should(BeTrue(), report)
	By("then it exits cleanly, and nothing it started is left")
	g.Expect(exitErr).NotTo(HaveOccurred(), report)
	g.Expect(ownedBy(token)).To(BeEmpty(), "processes still carrying up's ownership token")
	g.Expect(kubeconfig).NotTo(BeAnExistingFile(), "the cluster's directory")
	g.Expect(logs).NotTo(BeADirectory(), "the logs, CA bundle and attach flash directory")
	g.Expect(stderr.String()).To(ContainSubstring("everything is down"))
}

// lines collects a process's output lines.
type lines struct {
	mu sync.Mutex
	l  []string
}

func (o *lines) add(s string) { o.mu.Lock(); o.l = append(o.l, s); o.mu.Unlock() }

func (o *lines) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return strings.Join(o.l, "\n") + "\n"
}

// field is what follows "  key" on the first line that starts so.
func (o *lines) field(key string) string {
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, l := range o.l {
		if v, ok := strings.CutPrefix(strings.TrimSpace(l), key); ok {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

func (o *lines) lineWith(s string) string {
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, l := range o.l {
		if strings.Contains(l, s) {
			return l
		}
	}
	return ""
}

// ownedBy returns the command names of the live processes that carry the
// ownership token in their environment.
func ownedBy(token string) []string {
	var names []string
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		env, err := os.ReadFile(filepath.Join("/proc", e.Name(), "environ"))
		if err != nil || !slices.Contains(strings.Split(string(env), "\x00"), proc.OwnerEnv+"="+token) {
			continue
		}
		comm, _ := os.ReadFile(filepath.Join("/proc", e.Name(), "comm"))
		names = append(names, strings.TrimSpace(string(comm)))
	}
	return names
}

func count(names []string, name string) int {
	n := 0
	for _, x := range names {
		if x == name {
			n++
		}
	}
	return n
}
