package kindnode

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"

	"github.com/wasmbed/wasmbed/harness/containers/ownership"
)

// WrappedRepository tags node images that Wrap derived.
const WrappedRepository = "wasmbed/kind-node-wrapped"

// Wrap returns a node image that starts with wasmbed-entrypoint: image
// itself if it already does (the offline image), else an image derived
// from it with the script added and set as the entrypoint, tagged by
// image's ID and the script, so it is built once. A stock kindest/node
// image needs this to boot on an engine that refuses --privileged.
func Wrap(ctx context.Context, cli *client.Client, image string, pr Progress) (string, error) {
	if pr == nil {
		pr = silent{}
	}
	insp, err := cli.ImageInspect(ctx, image)
	if err != nil {
		return "", fmt.Errorf("node image %s: %w", image, err)
	}
	if ep := insp.Config.Entrypoint; len(ep) > 0 && ep[0] == EntrypointPath {
		return image, nil
	}
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00", insp.ID)
	h.Write(entrypointScript)
	ref := WrappedRepository + ":" + hex.EncodeToString(h.Sum(nil))[:16]
	if _, err := cli.ImageInspect(ctx, ref); err == nil {
		return ref, nil
	} else if !cerrdefs.IsNotFound(err) {
		return "", err
	}
	pr.Printf("adding wasmbed-entrypoint to node image %s as %s", image, ref)
	res, err := cli.ContainerCreate(ctx, client.ContainerCreateOptions{
		Config: &container.Config{Image: image, Labels: ownership.Labels("kind-node-build", "kind-node-build")},
	})
	if err != nil {
		return "", fmt.Errorf("wrap %s: %w", image, err)
	}
	defer cli.ContainerRemove(context.Background(), res.ID, client.ContainerRemoveOptions{Force: true, RemoveVolumes: true})
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	if err := tw.WriteHeader(&tar.Header{Name: EntrypointPath[1:], Typeflag: tar.TypeReg, Mode: 0o755, Size: int64(len(entrypointScript)), ModTime: time.Unix(0, 0)}); err != nil {
		return "", err
	}
	tw.Write(entrypointScript)
	if err := tw.Close(); err != nil {
		return "", err
	}
	if _, err := cli.CopyToContainer(ctx, res.ID, client.CopyToContainerOptions{DestinationPath: "/", Content: &buf}); err != nil {
		return "", fmt.Errorf("wrap %s: %w", image, err)
	}
	if _, err := cli.ContainerCommit(ctx, res.ID, client.ContainerCommitOptions{Reference: ref, Changes: append(slices.Clone(imageChanges), unownedImage)}); err != nil {
		return "", fmt.Errorf("wrap %s: commit %s: %w", image, ref, err)
	}
	return ref, nil
}
