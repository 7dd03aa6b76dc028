package kind

import (
	"bytes"
	"context"
	"fmt"
	"strings"

	"github.com/moby/moby/client"
	"sigs.k8s.io/kind/pkg/cluster/nodes"
	"sigs.k8s.io/kind/pkg/cluster/nodeutils"
)

// loadImages streams the images from the Docker engine into every node's
// containerd, as `kind load docker-image` does, skipping the ones a node
// already has (a reused cluster, the same SUT build).
func (c *Cluster) loadImages(ctx context.Context, cli *client.Client, refs []string, pr Progress) error {
	var ns []nodes.Node
	if err := c.kind(func() (err error) { ns, err = c.kp.ListInternalNodes(c.name); return err }); err != nil {
		return fmt.Errorf("kind: nodes of %q: %w", c.name, err)
	}
	for _, n := range ns {
		var have string
		if err := c.kind(func() error {
			var out bytes.Buffer
			err := n.Command("ctr", "--namespace=k8s.io", "images", "list", "--quiet").SetStdout(&out).Run()
			have = out.String()
			return err
		}); err != nil {
			return fmt.Errorf("list images in node %s: %w", n.String(), err)
		}
		var missing []string
		for _, r := range refs {
			if !hasImage(have, r) {
				missing = append(missing, r)
			}
		}
		if len(missing) == 0 {
			pr.Printf("node %s has %v", n.String(), refs)
			continue
		}
		pr.Printf("loading %v into node %s", missing, n.String())
		rc, err := cli.ImageSave(ctx, missing)
		if err != nil {
			return fmt.Errorf("docker save %v: %w", missing, err)
		}
		err = c.kind(func() error { return nodeutils.LoadImageArchive(n, rc) })
		rc.Close()
		if err != nil {
			return fmt.Errorf("load images into node %s: %w", n.String(), err)
		}
	}
	return nil
}

// hasImage reports whether `ctr images list --quiet` output lists ref,
// which containerd names in full (docker.io/library/... for short names).
func hasImage(list, ref string) bool {
	full := fullName(ref)
	for _, l := range strings.Split(list, "\n") {
		if strings.TrimSpace(l) == full {
			return true
		}
	}
	return false
}

// fullName is Docker's normalisation of an image name: a first component
// that is not a host (no '.' or ':', not localhost) means Docker Hub, and
// a single component there means library/.
func fullName(ref string) string {
	first, rest, ok := strings.Cut(ref, "/")
	if ok && (strings.ContainsAny(first, ".:") || first == "localhost") {
		return ref
	}
	if !ok {
		return "docker.io/library/" + first
	}
	return "docker.io/" + first + "/" + rest
}
