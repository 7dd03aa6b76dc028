package ownership

import (
	"context"
	"errors"
	"fmt"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/client"

	"github.com/wasmbed/wasmbed/harness/proc"
)

// Swept counts what a sweep removed.
type Swept struct {
	Containers []string
	Networks   []string
}

// SweepOptions choose what Sweep removes.
type SweepOptions struct {
	// Owner removes only what this owner token created, alive or not.
	// Empty removes what every dead owner left.
	Owner string
}

// Sweep removes the containers, then the networks, that carry the harness
// label and belong to a dead owner (or to opts.Owner). Containers of live
// owners are never touched, and neither is anything without the label.
func Sweep(ctx context.Context, cli client.APIClient, opts SweepOptions) (Swept, error) {
	var out Swept
	var errs []error
	f := client.Filters{}.Add("label", LabelHarness+"=true")
	if opts.Owner != "" {
		f.Add("label", LabelOwner+"="+opts.Owner)
	}
	cs, err := cli.ContainerList(ctx, client.ContainerListOptions{All: true, Filters: f})
	if err != nil {
		return out, fmt.Errorf("list harness containers: %w", err)
	}
	for _, c := range cs.Items {
		if !sweepable(c.Labels[LabelOwner], opts) {
			continue
		}
		if _, err := cli.ContainerRemove(ctx, c.ID, client.ContainerRemoveOptions{Force: true, RemoveVolumes: true}); err != nil && !cerrdefs.IsNotFound(err) {
			errs = append(errs, fmt.Errorf("remove container %s: %w", c.ID[:12], err))
			continue
		}
		out.Containers = append(out.Containers, c.ID[:12])
	}
	ns, err := cli.NetworkList(ctx, client.NetworkListOptions{Filters: f})
	if err != nil {
		return out, errors.Join(append(errs, fmt.Errorf("list harness networks: %w", err))...)
	}
	for _, n := range ns.Items {
		if !sweepable(n.Labels[LabelOwner], opts) {
			continue
		}
		if _, err := cli.NetworkRemove(ctx, n.ID, client.NetworkRemoveOptions{}); err != nil && !cerrdefs.IsNotFound(err) {
			errs = append(errs, fmt.Errorf("remove network %s: %w", n.Name, err))
			continue
		}
		out.Networks = append(out.Networks, n.Name)
	}
	return out, errors.Join(errs...)
}

func sweepable(owner string, opts SweepOptions) bool {
	if opts.Owner != "" {
		return owner == opts.Owner
	}
	return owner == "" || !proc.OwnerAlive(owner)
}
