package kind

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
)

// kind's docker provider runs the `docker` CLI, found on PATH, for
// everything: `docker run --privileged` for a node, `docker exec
// --privileged` for every command in one, `docker network create` for the
// cluster's network. The kind Go API has no way to change those
// arguments (its exec.DefaultCmder is a concrete *LocalCmder, and the
// provider is chosen from a fixed list), so the harness puts a small
// `docker` of its own first on PATH while, and only while, it calls kind.
// The shim passes every command through to the real docker unchanged,
// except:
//
//   - `docker run` of a kind node (it carries kind's cluster label): the
//     harness's labels are added, so an interrupted run's nodes are swept
//     like any harness container; on a restricted engine --privileged
//     becomes Engine.NodeArgs;
//   - `docker exec --privileged` on a restricted engine: --privileged is
//     dropped (the engine refuses it; the exec'd process gets the node's
//     own capabilities, which are all the engine grants);
//   - `docker network create` of the cluster's network: the labels.
//
// The shim is a POSIX shell script with its settings written into it, so
// it works the same under every binary that uses this package (the
// harness, the scenario suite, go test) and needs no re-exec hook.

// kindClusterLabel is the label kind puts on every node of a cluster.
const kindClusterLabel = "io.x-k8s.kind.cluster"

// networkEnv makes kind create and use a network of the harness's naming
// instead of its shared "kind" network, so that the network can be owned,
// labelled and removed with the cluster.
const networkEnv = "KIND_EXPERIMENTAL_DOCKER_NETWORK"

// dockerShim is one cluster's `docker` for kind.
type dockerShim struct {
	dir     string // holds the script, named docker
	network string
}

// shimConfig is what the script does.
type shimConfig struct {
	realDocker string
	// privileged replaces --privileged in a node's `docker run`; nil keeps it.
	privileged []string
	// dropExecPrivileged removes --privileged from `docker exec`.
	dropExecPrivileged bool
	labels             map[string]string
	network            string
}

func newDockerShim(dir string, e Engine, labels map[string]string, network string) (*dockerShim, error) {
	real, err := exec.LookPath("docker")
	if err != nil {
		return nil, fmt.Errorf("kind runs the docker CLI, which is not on PATH: %w", err)
	}
	if real, err = filepath.Abs(real); err != nil {
		return nil, err
	}
	cfg := shimConfig{realDocker: real, labels: labels, network: network}
	if e.Restricted() {
		cfg.privileged = e.NodeArgs()
		cfg.dropExecPrivileged = true
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, "docker"), []byte(shimScript(cfg)), 0o755); err != nil {
		return nil, err
	}
	return &dockerShim{dir: dir, network: network}, nil
}

// shimScript renders the script. Positional parameters are rebuilt one by
// one (`for a; do shift; set -- "$@" ...; done`), which keeps every
// argument intact whatever it contains.
func shimScript(c shimConfig) string {
	var labelArgs []string
	keys := make([]string, 0, len(c.labels))
	for k := range c.labels {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		labelArgs = append(labelArgs, shellQuote("--label="+k+"="+c.labels[k]))
	}
	labels := strings.Join(labelArgs, " ")
	priv := "--privileged"
	if c.privileged != nil {
		q := make([]string, len(c.privileged))
		for i, a := range c.privileged {
			q[i] = shellQuote(a)
		}
		priv = strings.Join(q, " ")
	}
	dropExec := "no"
	if c.dropExecPrivileged {
		dropExec = "yes"
	}
	return `#!/bin/sh
# docker for kind, written by the wasmbed harness (harness/cluster/kind/shim.go).
real=` + shellQuote(c.realDocker) + `
case "$1" in
run)
	node=no
	for a; do case "$a" in ` + kindClusterLabel + `=*) node=yes ;; esac; done
	[ "$node" = yes ] || exec "$real" "$@"
	first=yes
	for a; do
		shift
		if [ "$first" = yes ]; then set -- "$@" "$a" ` + labels + `; first=no
		elif [ "$a" = --privileged ]; then set -- "$@" ` + priv + `
		else set -- "$@" "$a"; fi
	done
	;;
exec)
	if [ ` + dropExec + ` = yes ] && [ "$2" = --privileged ]; then
		shift 2
		set -- exec "$@"
	fi
	;;
network)
	if [ "$2" = create ]; then
		last=
		for a; do last=$a; done
		if [ "$last" = ` + shellQuote(c.network) + ` ]; then
			shift 2
			set -- network create ` + labels + ` "$@"
		fi
	fi
	;;
esac
exec "$real" "$@"
`
}

func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// kindMu serialises kind calls in this process: PATH and networkEnv are
// process-wide, so one cluster's shim is in force at a time.
var kindMu sync.Mutex

// do runs fn, a call into the kind API, with the shim first on PATH and
// the cluster's network named, and restores both. Other goroutines that
// start a process meanwhile inherit the shim's directory on PATH: a
// command other than docker is found where it always is, and docker
// through the shim is docker, but for kind's node commands.
func (s *dockerShim) do(fn func() error) error {
	kindMu.Lock()
	defer kindMu.Unlock()
	restore := setenv(map[string]string{
		"PATH":     s.dir + string(os.PathListSeparator) + os.Getenv("PATH"),
		networkEnv: s.network,
	})
	defer restore()
	return fn()
}

// setenv sets vars and returns the function that puts back what was there.
func setenv(vars map[string]string) func() {
	type old struct {
		v  string
		ok bool
	}
	prev := map[string]old{}
	for k, v := range vars {
		o, ok := os.LookupEnv(k)
		prev[k] = old{o, ok}
		os.Setenv(k, v)
	}
	return func() {
		for k, o := range prev {
			if o.ok {
				os.Setenv(k, o.v)
			} else {
				os.Unsetenv(k)
			}
		}
	}
}
