package kind

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"

	"github.com/wasmbed/wasmbed/harness/containers/ownership"
	"github.com/wasmbed/wasmbed/harness/workspace"
)

// Engine is what the Docker engine grants a kind node, found by trying.
//
// A kind node is a privileged container. Some engines refuse every
// privileged container: runc raises the full capability set for a
// privileged container's root, and an engine whose dockerd lacks one of
// them in its own bounding set (CAP_SYS_RESOURCE on this project's
// development machine: a sandboxed dockerd, or Docker-in-Docker on an
// engine older than moby PR 42933, which clamps --privileged to the
// daemon's own set) fails with "unable to apply caps: operation not
// permitted". Such an engine still runs a kind node given every
// capability it can grant and the other parts of --privileged spelled out
// (NodeArgs); the node's entrypoint wrapper (harness/kindnode) does the
// rest.
type Engine struct {
	// Privileged is true when the engine starts privileged containers:
	// kind then runs exactly as it always does.
	Privileged bool
	// Refusal is the engine's error for a privileged container, verbatim.
	Refusal string
	// Denied are the capabilities (CAP_ names) the engine cannot grant.
	Denied []string
}

// Restricted is true when kind's nodes must run without --privileged.
func (e Engine) Restricted() bool { return !e.Privileged }

// NodeArgs are the `docker run` flags that stand in for --privileged. kind
// already adds seccomp=unconfined, apparmor=unconfined, a private cgroup
// namespace, tmpfs /run and /tmp, and /dev/fuse on a fuse-overlayfs engine.
// What remains of --privileged is: every capability (less the ones the
// engine cannot grant), unmasked and writable /proc paths (the kubelet and
// kube-proxy write sysctls), /dev/kmsg (the kubelet's OOM watcher), and a
// devices cgroup that allows every device: on cgroup v1 a child cgroup
// can allow no more than its parent, and runc writes "a *:* rwm" for each
// privileged pod (kube-proxy) inside the node. Read-write cgroup
// hierarchies are the node entrypoint's part: Docker has no flag for them.
func (e Engine) NodeArgs() []string {
	if e.Privileged {
		return []string{"--privileged"}
	}
	args := []string{"--cap-add=ALL"}
	for _, c := range e.Denied {
		args = append(args, "--cap-drop="+strings.TrimPrefix(c, "CAP_"))
	}
	return append(args, "--security-opt=systempaths=unconfined", "--device=/dev/kmsg", "--device-cgroup-rule=a *:* rwm")
}

func (e Engine) String() string {
	if e.Privileged {
		return "grants --privileged"
	}
	return fmt.Sprintf("refuses --privileged, cannot grant %s: kind nodes run with %s", strings.Join(e.Denied, ","), strings.Join(e.NodeArgs(), " "))
}

// Unsupported is returned when the Docker engine cannot run a kind node
// at all: it refuses --privileged, and the restricted set of NodeArgs
// fails too. It carries the engine's own errors and the command that
// reproduces the refusal.
type Unsupported struct {
	// Command reproduces the refusal by hand.
	Command string
	// EngineError is the daemon's error, verbatim.
	EngineError string
}

func (u *Unsupported) Error() string {
	return fmt.Sprintf("WASMBED_CLUSTER=kind cannot run on this Docker engine: a kind node needs a privileged container, "+
		"or every capability the engine can grant, and the engine refuses both.\n"+
		"  command: %s\n  error:   %s\n"+
		"A capability error usually means dockerd runs with a reduced capability bounding set "+
		"(grep CapBnd /proc/$(pidof dockerd)/status), e.g. inside a sandbox or a rootless/userns setup. "+
		"Run the kind scenarios on another engine, or use WASMBED_CLUSTER=local "+
		"(the SUT can still run as containers there: harness/containers).",
		u.Command, u.EngineError)
}

// linuxCapabilities are the kernel's capabilities (capabilities(7)), the
// candidates the probe tries; those an engine does not know it says so
// when asked, and they are left out.
var linuxCapabilities = []string{
	"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL",
	"CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE",
	"CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE",
	"CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE", "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT",
	"CAP_SYS_NICE", "CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE",
	"CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP", "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN",
	"CAP_SYSLOG", "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF",
	"CAP_CHECKPOINT_RESTORE",
}

var (
	engineMu   sync.Mutex
	engineSeen = map[string]Engine{} // by daemon ID, for the life of the process
)

// ProbeEngine finds out what the engine grants a kind node, by trying:
// a privileged throw-away container from image (any image; the SUT's
// device image is a few MB and always there), and if the engine refuses
// it, containers with every capability the engine knows, halving the set
// until the ones it cannot grant are found. The result is remembered per
// daemon in the cache (and re-checked with two tries, so a daemon
// restarted with other capabilities is noticed) and for the life of the
// process.
func ProbeEngine(ctx context.Context, cli *client.Client, image string, pr Progress) (Engine, error) {
	engineMu.Lock()
	defer engineMu.Unlock()
	info, err := cli.Info(ctx, client.InfoOptions{})
	if err != nil {
		return Engine{}, fmt.Errorf("docker info: %w", err)
	}
	id := info.Info.ID + "|" + info.Info.ServerVersion + "|" + info.Info.KernelVersion
	if e, ok := engineSeen[id]; ok {
		return e, nil
	}
	p := &prober{cli: cli, image: image}
	cacheFile := engineCacheFile(id)
	if e, ok := readEngine(cacheFile); ok && p.confirm(ctx, e) {
		engineSeen[id] = e
		return e, nil
	}
	start := time.Now()
	e, err := p.probe(ctx)
	if err != nil {
		return Engine{}, err
	}
	pr.Printf("Docker engine %s (probed with %d containers in %s)", e, p.tries, time.Since(start).Round(10*time.Millisecond))
	writeEngine(cacheFile, e)
	engineSeen[id] = e
	return e, nil
}

// prober runs throw-away containers that exec a path that does not exist:
// runc applies the capabilities before it looks for the program, so
// reaching "no such file" means the engine granted them.
type prober struct {
	cli   *client.Client
	image string
	tries int
}

const probeEntrypoint = "/nonexistent-wasmbed-probe"

func (p *prober) probe(ctx context.Context) (Engine, error) {
	err := p.try(ctx, &container.HostConfig{Privileged: true})
	if err == nil {
		return Engine{Privileged: true}, nil
	}
	if errors.Is(err, errCreate) {
		return Engine{}, err
	}
	e := Engine{Refusal: err.Error()}
	known, err := p.known(ctx)
	if err != nil {
		return Engine{}, err
	}
	if e.Denied, err = p.denied(ctx, known); err != nil {
		return Engine{}, err
	}
	if err := p.try(ctx, restrictedHostConfig(e)); err != nil {
		return Engine{}, &Unsupported{
			Command:     "docker run --rm " + strings.Join(e.NodeArgs(), " ") + " --user 0:0 " + p.image,
			EngineError: fmt.Sprintf("%v (and --privileged: %s)", err, e.Refusal),
		}
	}
	return e, nil
}

// confirm re-checks a remembered result: the same verdict on --privileged,
// and the restricted set still granted.
func (p *prober) confirm(ctx context.Context, e Engine) bool {
	priv := p.try(ctx, &container.HostConfig{Privileged: true}) == nil
	if priv || e.Privileged {
		return priv && e.Privileged
	}
	return p.try(ctx, restrictedHostConfig(e)) == nil
}

var unknownCap = regexp.MustCompile(`unknown capability: "?(CAP_[A-Z_]+)`)

// known returns the candidates the engine knows: it creates (does not
// start) a container adding all of them, and drops each one the engine
// names as unknown.
func (p *prober) known(ctx context.Context) ([]string, error) {
	caps := slices.Clone(linuxCapabilities)
	for range linuxCapabilities {
		id, err := p.create(ctx, &container.HostConfig{CapAdd: caps})
		if err == nil {
			p.remove(id)
			return caps, nil
		}
		m := unknownCap.FindStringSubmatch(err.Error())
		if m == nil || !slices.Contains(caps, m[1]) {
			return nil, fmt.Errorf("kind engine probe: create a container with capabilities %v: %w", caps, err)
		}
		caps = slices.DeleteFunc(caps, func(c string) bool { return c == m[1] })
	}
	return nil, errors.New("kind engine probe: the engine knows no capability")
}

// denied returns the capabilities of set the engine cannot grant, by
// halving: a set that starts has none.
func (p *prober) denied(ctx context.Context, set []string) ([]string, error) {
	if len(set) == 0 {
		return nil, nil
	}
	err := p.try(ctx, &container.HostConfig{CapAdd: set})
	if err == nil {
		return nil, nil
	}
	if errors.Is(err, errCreate) {
		return nil, err
	}
	if len(set) == 1 {
		return set, nil
	}
	a, err := p.denied(ctx, set[:len(set)/2])
	if err != nil {
		return nil, err
	}
	b, err := p.denied(ctx, set[len(set)/2:])
	return append(a, b...), err
}

// TryCapabilities starts a throw-away root container from image with the
// capabilities add and drop, and returns the engine's error if it refuses.
func TryCapabilities(ctx context.Context, cli *client.Client, image string, add, drop []string) error {
	p := &prober{cli: cli, image: image}
	return p.try(ctx, &container.HostConfig{CapAdd: add, CapDrop: drop})
}

func restrictedHostConfig(e Engine) *container.HostConfig {
	drop := make([]string, len(e.Denied))
	copy(drop, e.Denied)
	return &container.HostConfig{CapAdd: []string{"ALL"}, CapDrop: drop}
}

var errCreate = errors.New("kind engine probe: create")

// try creates and starts a throw-away container with hc and removes it.
// It returns nil if runc got as far as looking for the entrypoint, the
// engine's error if it refused to start the container, and an error
// wrapping errCreate if the container could not even be created.
func (p *prober) try(ctx context.Context, hc *container.HostConfig) error {
	id, err := p.create(ctx, hc)
	if err != nil {
		return fmt.Errorf("%w: %w", errCreate, err)
	}
	defer p.remove(id)
	_, err = p.cli.ContainerStart(ctx, id, client.ContainerStartOptions{})
	if err == nil || strings.Contains(err.Error(), probeEntrypoint) {
		return nil
	}
	return err
}

func (p *prober) create(ctx context.Context, hc *container.HostConfig) (string, error) {
	p.tries++
	res, err := p.cli.ContainerCreate(ctx, client.ContainerCreateOptions{
		Config: &container.Config{
			Image:      p.image,
			Entrypoint: []string{probeEntrypoint},
			// Root, as in a kind node: runc raises the capabilities for
			// uid 0, and that is what an engine may refuse.
			User:   "0:0",
			Labels: ownership.Labels("kind-probe", "kind-probe"),
		},
		HostConfig: hc,
	})
	if err != nil {
		return "", err
	}
	return res.ID, nil
}

// remove removes a probe container; one left behind by an error carries
// this process's owner label, and a later sweep removes it.
func (p *prober) remove(id string) {
	_, _ = p.cli.ContainerRemove(context.Background(), id, client.ContainerRemoveOptions{Force: true})
}

func engineCacheFile(id string) string {
	dir, err := workspace.CacheDir("kind-engine")
	if err != nil {
		return ""
	}
	sum := sha256.Sum256([]byte(id))
	return filepath.Join(dir, hex.EncodeToString(sum[:8])+".json")
}

func readEngine(path string) (Engine, bool) {
	var e Engine
	b, err := os.ReadFile(path)
	if err != nil || json.Unmarshal(b, &e) != nil {
		return Engine{}, false
	}
	return e, true
}

func writeEngine(path string, e Engine) {
	if path == "" {
		return
	}
	b, _ := json.Marshal(e)
	tmp := path + ".tmp" + fmt.Sprint(os.Getpid())
	if os.WriteFile(tmp, b, 0o644) == nil {
		_ = os.Rename(tmp, path)
	}
}
