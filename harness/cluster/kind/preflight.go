package kind

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
)

// Unsupported is returned when the Docker engine cannot run kind nodes.
// It carries the engine's own error and the command that reproduces it.
type Unsupported struct {
	// Command reproduces the refusal by hand.
	Command string
	// EngineError is the daemon's error, verbatim.
	EngineError string
}

func (u *Unsupported) Error() string {
	return fmt.Sprintf("WASMBED_CLUSTER=kind cannot run on this Docker engine: a kind node is a privileged container "+
		"running systemd, and the engine refuses privileged containers.\n"+
		"  command: %s\n  error:   %s\n"+
		"This is usually dockerd started with a reduced capability bounding set (here CAP_SYS_RESOURCE is missing: "+
		"grep CapBnd /proc/$(pidof dockerd)/status), e.g. dockerd inside a sandbox or a rootless/userns setup. "+
		"Run the kind scenarios on a host whose dockerd has full capabilities, or use WASMBED_CLUSTER=local "+
		"(the SUT can still run as containers there: harness/containers).",
		u.Command, u.EngineError)
}

var (
	probeMu   sync.Mutex
	probeDone bool
	probeErr  error
)

// Preflight starts a privileged container from image (any image on the
// engine; the SUT's device image is a few MB and always there) and
// removes it. It returns *Unsupported if the engine refuses. The result
// is remembered for the life of the process.
func Preflight(ctx context.Context, cli *client.Client, image string) error {
	probeMu.Lock()
	defer probeMu.Unlock()
	if probeDone {
		return probeErr
	}
	probeErr = probe(ctx, cli, image)
	probeDone = true
	return probeErr
}

func probe(ctx context.Context, cli *client.Client, image string) error {
	res, err := cli.ContainerCreate(ctx, client.ContainerCreateOptions{
		Config: &container.Config{
			Image:      image,
			Entrypoint: []string{"/nonexistent-wasmbed-probe"},
			// Root, as in a kind node: runc raises the full capability set
			// only for uid 0, and that is what an engine may refuse.
			User:   "0:0",
			Labels: map[string]string{"wasmbed.io/harness": "true", "wasmbed.io/role": "kind-preflight"},
		},
		HostConfig: &container.HostConfig{Privileged: true},
	})
	if err != nil {
		return fmt.Errorf("kind preflight: create a privileged container: %w", err)
	}
	defer cli.ContainerRemove(context.Background(), res.ID, client.ContainerRemoveOptions{Force: true})
	_, err = cli.ContainerStart(ctx, res.ID, client.ContainerStartOptions{})
	if err == nil {
		return nil
	}
	msg := err.Error()
	// The probe's entrypoint does not exist on purpose: reaching exec means
	// the privileged container itself was set up, which is all kind needs
	// from the engine at this stage.
	if strings.Contains(msg, "nonexistent-wasmbed-probe") || strings.Contains(msg, "no such file or directory") {
		return nil
	}
	return &Unsupported{
		Command:     "docker run --rm --privileged --user 0:0 " + image,
		EngineError: msg,
	}
}
