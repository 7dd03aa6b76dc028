package kind

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/client"

	"github.com/wasmbed/wasmbed/harness/containers/ownership"
	"github.com/wasmbed/wasmbed/harness/proc"
)

// tempPrefix starts the name of a cluster's folder (kubeconfig, the docker
// shim, exported logs), followed by the owner token, so a sweep can tell
// a dead owner's folder.
const tempPrefix = "wasmbed-kind-"

// sweepLeftovers removes what killed runs left: containers and networks
// with the harness label whose owner is dead (kind nodes among them: the
// shim labels them), and cluster folders of dead owners. Kept clusters
// carry no harness label and stay.
func sweepLeftovers(ctx context.Context, cli client.APIClient, pr Progress) {
	swept, err := ownership.Sweep(ctx, cli, ownership.SweepOptions{})
	if err != nil {
		pr.Printf("sweep of leftovers incomplete: %v", err)
	}
	if n := len(swept.Containers) + len(swept.Networks); n > 0 {
		pr.Printf("removed %d container(s) and %d network(s) left behind by killed runs", len(swept.Containers), len(swept.Networks))
	}
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), tempPrefix+"*"))
	for _, d := range dirs {
		owner, _, ok := strings.Cut(strings.TrimPrefix(filepath.Base(d), tempPrefix), "-")
		if ok && strings.Contains(owner, ".") && !proc.OwnerAlive(owner) {
			os.RemoveAll(d)
		}
	}
}

// removeNodes force-removes a cluster's node containers and their volumes
// through the Docker API (no kind call: used while kind itself may be
// running).
func removeNodes(ctx context.Context, cli client.APIClient, name string) {
	cs, err := cli.ContainerList(ctx, client.ContainerListOptions{All: true, Filters: client.Filters{}.Add("label", kindClusterLabel+"="+name)})
	if err != nil {
		return
	}
	for _, c := range cs.Items {
		_, _ = cli.ContainerRemove(ctx, c.ID, client.ContainerRemoveOptions{Force: true, RemoveVolumes: true})
	}
}

// removeNetwork removes the cluster's network (named after the cluster;
// see networkEnv), if there is one.
func removeNetwork(ctx context.Context, cli client.APIClient, name string) error {
	if _, err := cli.NetworkRemove(ctx, name, client.NetworkRemoveOptions{}); err != nil && !cerrdefs.IsNotFound(err) {
		return fmt.Errorf("remove network %s: %w", name, err)
	}
	return nil
}
