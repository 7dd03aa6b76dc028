package kindnode

import (
	"context"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"

	"github.com/wasmbed/wasmbed/harness/cache"
	"github.com/wasmbed/wasmbed/harness/containers/ownership"
	"github.com/wasmbed/wasmbed/harness/images"
	"github.com/wasmbed/wasmbed/harness/workspace"
)

// Progress receives progress lines.
type Progress interface {
	Printf(format string, args ...any)
}

// Options shape Ensure.
type Options struct {
	// Client talks to Docker; Ensure connects if nil.
	Client *client.Client
	// Progress receives progress lines; nil is silent.
	Progress Progress
}

// PauseVersion is the pause tag kind's containerd config and kubeadm
// v1.34 expect.
const PauseVersion = "3.10.1"

// Repository is where the node image is tagged.
const Repository = "wasmbed/kind-node"

// BaseRepository is where the base image (debootstrap + kind's files) is tagged.
const BaseRepository = "wasmbed/kind-base"

// Ensure returns the offline kind node image, building whatever part of
// it is not cached.
func Ensure(ctx context.Context, o Options) (string, error) {
	pr := o.Progress
	if pr == nil {
		pr = silent{}
	}
	cli := o.Client
	if cli == nil {
		var err error
		if cli, err = images.Connect(ctx); err != nil {
			return "", err
		}
		defer cli.Close()
	}
	// One builder at a time per machine: the parts are Docker images
	// tagged by content, and two processes building the same tag would
	// each do the whole work.
	lockDir, err := workspace.CacheDir("kind-node")
	if err != nil {
		return "", err
	}
	unlock, err := cache.Lock(filepath.Join(lockDir, ".lock"))
	if err != nil {
		return "", err
	}
	defer unlock()
	start := time.Now()
	base, err := ensureBase(ctx, cli, pr)
	if err != nil {
		return "", err
	}
	bin, v, err := ensureBinaries(ctx, pr)
	if err != nil {
		return "", err
	}
	ref, err := nodeRef(base, bin, v)
	if err != nil {
		return "", err
	}
	if _, err := cli.ImageInspect(ctx, ref); err == nil {
		pr.Printf("kind node image %s is cached", ref)
		return ref, nil
	} else if !cerrdefs.IsNotFound(err) {
		return "", err
	}
	imgs, err := componentImages(ctx, cli, base, bin, v, pr)
	if err != nil {
		return "", err
	}
	err = assemble(ctx, cli, base, bin, v, imgs, ref, pr)
	// The component images live on inside the node image; the engine's
	// copies were only the way in.
	for _, im := range imgs {
		_, _ = cli.ImageRemove(context.Background(), im, client.ImageRemoveOptions{})
	}
	if err != nil {
		return "", err
	}
	pr.Printf("kind node image %s built in %s", ref, time.Since(start).Round(time.Second))
	return ref, nil
}

// assemblySource is this file: how the node image is put together is an
// input of the node image's tag, like its parts.
//
//go:embed node.go
var assemblySource []byte

// nodeRef tags the node image by its parts and the way they are assembled.
func nodeRef(base, bin string, v Versions) (string, error) {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00%s\x00", base, v.Kubernetes, v.Etcd)
	h.Write(assemblySource)
	for _, t := range nodeTargets {
		f, err := os.Open(filepath.Join(bin, t.out))
		if err != nil {
			return "", err
		}
		_, err = io.Copy(h, f)
		f.Close()
		if err != nil {
			return "", err
		}
	}
	return Repository + ":" + v.Kubernetes + "-" + hex.EncodeToString(h.Sum(nil))[:12], nil
}

// componentImages builds the images kubeadm runs, named as kubeadm
// expects them: FROM scratch, but for kube-proxy, which runs iptables (and
// conntrack) and so gets the base root filesystem, where those are, as
// the upstream image gets a distroless one with them. They are
// kubeadm expects them, and returns their references.
func componentImages(ctx context.Context, cli *client.Client, base, bin string, v Versions, pr Progress) ([]string, error) {
	type img struct{ ref, file, path string }
	list := []img{
		{"registry.k8s.io/kube-apiserver:" + v.Kubernetes, "kube-apiserver", "/usr/local/bin/kube-apiserver"},
		{"registry.k8s.io/kube-controller-manager:" + v.Kubernetes, "kube-controller-manager", "/usr/local/bin/kube-controller-manager"},
		{"registry.k8s.io/kube-scheduler:" + v.Kubernetes, "kube-scheduler", "/usr/local/bin/kube-scheduler"},
		{"registry.k8s.io/kube-proxy:" + v.Kubernetes, "kube-proxy", "/usr/local/bin/kube-proxy"},
		{"registry.k8s.io/etcd:" + etcdTag(v), "etcd", "/usr/local/bin/etcd"},
		{"registry.k8s.io/pause:" + PauseVersion, "pause", "/pause"},
	}
	var refs []string
	for _, im := range list {
		data, err := os.ReadFile(filepath.Join(bin, im.file))
		if err != nil {
			return nil, err
		}
		changes := []string{fmt.Sprintf(`ENTRYPOINT ["%s"]`, im.path)}
		if im.file == "kube-proxy" {
			pr.Printf("image %s (FROM %s, %d MiB)", im.ref, base, len(data)>>20)
			if err := commitFiles(ctx, cli, base, im.ref, map[string][]byte{im.path: data}, changes); err != nil {
				return nil, err
			}
		} else {
			pr.Printf("image %s (FROM scratch, %d MiB)", im.ref, len(data)>>20)
			if err := importFiles(ctx, cli, im.ref, map[string][]byte{im.path: data}, changes); err != nil {
				return nil, err
			}
		}
		refs = append(refs, im.ref)
	}
	return refs, nil
}

// unownedImage is a commit change: Docker copies a container's labels
// into an image committed from it, and an image must not carry the build
// container's owner (a container run from it would inherit it, and a
// sweep would take it for a dead owner's).
const unownedImage = "LABEL " + ownership.LabelHarness + "=image " + ownership.LabelOwner + "= " + ownership.LabelRun + "= " + ownership.LabelRole + "=kind-node-image"

// commitFiles tags ref as from plus files (executable), with changes.
func commitFiles(ctx context.Context, cli *client.Client, from, ref string, files map[string][]byte, changes []string) error {
	res, err := cli.ContainerCreate(ctx, client.ContainerCreateOptions{
		Config: &container.Config{Image: from, Labels: ownership.Labels("kind-node-build", "kind-node-build")},
	})
	if err != nil {
		return fmt.Errorf("%s from %s: %w", ref, from, err)
	}
	defer cli.ContainerRemove(context.Background(), res.ID, client.ContainerRemoveOptions{Force: true, RemoveVolumes: true})
	if err := copyInto(ctx, cli, res.ID, files, 0o755); err != nil {
		return err
	}
	if _, err := cli.ContainerCommit(ctx, res.ID, client.ContainerCommitOptions{Reference: ref, Changes: append(changes, unownedImage)}); err != nil {
		return fmt.Errorf("commit %s: %w", ref, err)
	}
	return nil
}

// assemble does what kind's node-image build does, offline: start the
// base, add the binaries, import the images into its containerd, commit.
func assemble(ctx context.Context, cli *client.Client, base, bin string, v Versions, imgs []string, ref string, pr Progress) (err error) {
	res, err := cli.ContainerCreate(ctx, client.ContainerCreateOptions{
		Config: &container.Config{
			Image:      base,
			Entrypoint: []string{"sleep", "infinity"},
			Labels:     ownership.Labels("kind-node-build", "kind-node-build"),
		},
		HostConfig: &container.HostConfig{SecurityOpt: []string{"seccomp=unconfined"}},
	})
	if err != nil {
		return fmt.Errorf("build container from %s: %w", base, err)
	}
	defer cli.ContainerRemove(context.Background(), res.ID, client.ContainerRemoveOptions{Force: true, RemoveVolumes: true})
	if _, err := cli.ContainerStart(ctx, res.ID, client.ContainerStartOptions{}); err != nil {
		return fmt.Errorf("start build container: %w", err)
	}
	files := map[string][]byte{}
	for _, b := range []string{"kubelet", "kubeadm", "kubectl"} {
		data, err := os.ReadFile(filepath.Join(bin, b))
		if err != nil {
			return err
		}
		files["/usr/bin/"+b] = data
	}
	crictl, err := os.ReadFile(filepath.Join(bin, "crictl"))
	if err != nil {
		return err
	}
	files["/usr/local/bin/crictl"] = crictl
	pr.Printf("installing kubelet, kubeadm, kubectl %s and crictl", v.Kubernetes)
	if err := copyInto(ctx, cli, res.ID, files, 0o755); err != nil {
		return err
	}
	if err := copyInto(ctx, cli, res.ID, map[string][]byte{"/kind/version": []byte(v.Kubernetes + "\n")}, 0o644); err != nil {
		return err
	}
	pr.Printf("importing %d images into the node's containerd", len(imgs))
	if _, err := execIn(ctx, cli, res.ID, "sh", "-c", "mkdir -p /kind/images && (containerd >/tmp/containerd.log 2>&1 &) && for i in $(seq 100); do ctr version >/dev/null 2>&1 && exit 0; sleep 0.1; done; cat /tmp/containerd.log; exit 1"); err != nil {
		return fmt.Errorf("containerd in the build container: %w", err)
	}
	rc, err := cli.ImageSave(ctx, imgs)
	if err != nil {
		return err
	}
	archive, err := io.ReadAll(rc)
	rc.Close()
	if err != nil {
		return err
	}
	if err := copyInto(ctx, cli, res.ID, map[string][]byte{"/kind/images/parts.tar": archive}, 0o644); err != nil {
		return err
	}
	if out, err := execIn(ctx, cli, res.ID, "ctr", "--namespace=k8s.io", "images", "import", "--all-platforms", "--no-unpack", "--digests", "/kind/images/parts.tar"); err != nil {
		return fmt.Errorf("ctr import: %w", err)
	} else {
		pr.Printf("  %s", strings.TrimSpace(out))
	}
	if _, err := execIn(ctx, cli, res.ID, "sh", "-c", "rm -rf /kind/images /tmp/containerd.log; kill $(pidof containerd) || true"); err != nil {
		return err
	}
	if _, err := cli.ContainerCommit(ctx, res.ID, client.ContainerCommitOptions{
		Reference: ref,
		Changes:   append(slices.Clone(imageChanges), unownedImage),
	}); err != nil {
		return fmt.Errorf("commit %s: %w", ref, err)
	}
	return nil
}

type silent struct{}

func (silent) Printf(string, ...any) {}

// Forget removes the node images this package built or derived, and the
// base, from the engine (for a cold benchmark); the Kubernetes binaries
// stay in the content cache. An image a container still uses stays and is
// an error.
func Forget(ctx context.Context, cli *client.Client) ([]string, error) {
	lockDir, err := workspace.CacheDir("kind-node")
	if err != nil {
		return nil, err
	}
	unlock, err := cache.Lock(filepath.Join(lockDir, ".lock"))
	if err != nil {
		return nil, err
	}
	defer unlock()
	var removed []string
	for _, repo := range []string{Repository, WrappedRepository, BaseRepository} {
		list, err := cli.ImageList(ctx, client.ImageListOptions{Filters: client.Filters{}.Add("reference", repo)})
		if err != nil {
			return removed, err
		}
		for _, im := range list.Items {
			for _, tag := range im.RepoTags {
				if _, err := cli.ImageRemove(ctx, tag, client.ImageRemoveOptions{PruneChildren: true}); err != nil {
					return removed, fmt.Errorf("remove %s: %w", tag, err)
				}
				removed = append(removed, tag)
			}
		}
	}
	return removed, nil
}
