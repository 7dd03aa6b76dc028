package kindnode

import (
	"context"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/client"

	"github.com/wasmbed/wasmbed/harness/workspace"
)

// Suite is the Debian release debootstrap installs (from debianMirror).
const Suite = "bookworm"

// BasePackages are what kind's base image installs, as Debian packages.
var BasePackages = []string{
	"systemd", "systemd-sysv", "dbus", "libsystemd0",
	"containerd", "runc", "containernetworking-plugins",
	"iptables", "nftables", "ebtables", "conntrack", "iproute2", "ethtool", "socat",
	"util-linux", "mount", "kmod", "procps", "hostname", "libseccomp2", "pigz",
	"fuse-overlayfs", "jq", "ca-certificates", "bash", "findutils", "gzip", "tar",
}

// bridgeCNI replaces kindnetd: one node, one bridge, host-local IPAM on
// kind's default pod subnet, portmap for hostPorts.
const bridgeCNI = `{
  "cniVersion": "0.4.0",
  "name": "wasmbed-bridge",
  "plugins": [
    {"type": "bridge", "bridge": "cni0", "isGateway": true, "ipMasq": true, "hairpinMode": true,
     "ipam": {"type": "host-local", "ranges": [[{"subnet": "10.244.0.0/16"}]], "routes": [{"dst": "0.0.0.0/0"}]}},
    {"type": "portmap", "capabilities": {"portMappings": true}},
    {"type": "loopback"}
  ]
}
`

// setupScript runs in the debootstrapped root (chroot) and does what
// kind's base Dockerfile does after installing packages: trim systemd to
// what a node needs (and never systemd-binfmt, which registers handlers
// kernel-wide), enable the node's services, put Debian's containerd and
// runc where kind's units and config expect its own builds, and write the
// base OCI spec kind's containerd config names (cri-base.json: containerd's
// default plus kind's product-files hook, without rlimits).
const setupScript = `set -eu
find /lib/systemd/system/sysinit.target.wants/ -name systemd-tmpfiles-setup.service -delete
rm -f /lib/systemd/system/multi-user.target.wants/* /etc/systemd/system/*.wants/* \
  /lib/systemd/system/local-fs.target.wants/* /lib/systemd/system/sockets.target.wants/*udev* \
  /lib/systemd/system/sockets.target.wants/*initctl* /lib/systemd/system/basic.target.wants/*
systemctl enable kubelet.service containerd.service undo-mount-hacks.service
systemctl mask systemd-binfmt.service getty.target systemd-logind.service
echo "ReadKMsg=no" >> /etc/systemd/journald.conf
mkdir -p /opt/cni/bin /etc/cni/net.d /kind /var/lib/kubelet /etc/kubernetes/manifests /usr/local/sbin
for p in /usr/lib/cni/*; do ln -sf "$p" /opt/cni/bin/; done
ln -sf /usr/bin/containerd /usr/bin/ctr /usr/bin/containerd-shim-runc-v2 /usr/local/bin/
ln -sf /usr/sbin/runc /usr/local/sbin/runc
ctr oci spec \
  | jq '.hooks.createContainer[.hooks.createContainer | length] |= . + {"path": "/kind/bin/mount-product-files.sh"}' \
  | jq 'del(.process.rlimits)' > /etc/containerd/cri-base.json
chmod 0755 /usr/local/bin/entrypoint /usr/local/bin/clean-install /usr/local/bin/wasmbed-entrypoint /kind/bin/*.sh
sed -i 's#sandbox_image = .*#sandbox_image = "registry.k8s.io/pause:3.10.1"#' /etc/containerd/config.toml
rm -rf /var/cache/apt/archives/*.deb /var/lib/apt/lists/*
`

// EntrypointPath is where the node image keeps wasmbed-entrypoint
// (entrypoint.sh), which runs before kind's entrypoint.
const EntrypointPath = "/usr/local/bin/wasmbed-entrypoint"

//go:embed entrypoint.sh
var entrypointScript []byte

// imageChanges are the node's image config: systemd as PID 1 behind
// wasmbed-entrypoint and kind's entrypoint. (kind's own image also sets
// STOPSIGNAL SIGRTMIN+3; Docker 20.10 takes no STOPSIGNAL in an import or
// a commit, and kind removes nodes with `docker rm -f` anyway.)
var imageChanges = []string{
	`ENTRYPOINT ["` + EntrypointPath + `", "/sbin/init"]`,
	"ENV container=docker",
}

// baseRef is the base image's tag for its inputs.
func baseRef(kindDir, mirror string) (string, error) {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00%s\x00%s\x00%s\x00%s\x00%s\x00", Suite, mirror, strings.Join(BasePackages, ","), bridgeCNI, setupScript, entrypointScript, strings.Join(imageChanges, "\n"))
	files := filepath.Join(kindDir, "images", "base", "files")
	err := filepath.WalkDir(files, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		fmt.Fprintf(h, "%s\x00%d\x00", strings.TrimPrefix(p, files), len(b))
		h.Write(b)
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("kind's base files in %s: %w", files, err)
	}
	return BaseRepository + ":" + hex.EncodeToString(h.Sum(nil))[:16], nil
}

// kindModuleDir is where the Go toolchain keeps the sigs.k8s.io/kind
// module this repository requires (its base image files come from there).
func kindModuleDir(ctx context.Context) (string, error) {
	root, err := workspace.Root()
	if err != nil {
		return "", err
	}
	dl := exec.CommandContext(ctx, "go", "mod", "download", "sigs.k8s.io/kind")
	dl.Dir = root
	if out, err := dl.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go mod download sigs.k8s.io/kind: %w\n%s", err, out)
	}
	cmd := exec.CommandContext(ctx, "go", "list", "-m", "-f", "{{.Dir}}", "sigs.k8s.io/kind")
	cmd.Dir = root
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("locate the sigs.k8s.io/kind module: %w", err)
	}
	return strings.TrimSpace(string(out)), nil
}

// ensureBase returns the base image, building it with debootstrap if its
// tag does not exist.
func ensureBase(ctx context.Context, cli *client.Client, pr Progress) (string, error) {
	kindDir, err := kindModuleDir(ctx)
	if err != nil {
		return "", err
	}
	mirror, err := debianMirror()
	if err != nil {
		return "", err
	}
	ref, err := baseRef(kindDir, mirror)
	if err != nil {
		return "", err
	}
	if _, err := cli.ImageInspect(ctx, ref); err == nil {
		pr.Printf("base image %s is cached", ref)
		return ref, nil
	} else if !cerrdefs.IsNotFound(err) {
		return "", err
	}
	if _, err := exec.LookPath("debootstrap"); err != nil {
		return "", fmt.Errorf("the offline kind node image needs debootstrap (make deps installs it): %w", err)
	}
	if os.Geteuid() != 0 {
		return "", fmt.Errorf("debootstrap needs root to build the kind base image; run `make kind-node-image` as root")
	}
	start := time.Now()
	tmp, err := os.MkdirTemp("", "wasmbed-kind-base-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp)
	rootfs := filepath.Join(tmp, "rootfs")
	pr.Printf("debootstrap %s from %s with %d packages (a few minutes)", Suite, mirror, len(BasePackages))
	if err := run(ctx, pr, "debootstrap", "--variant=minbase", "--include="+strings.Join(BasePackages, ","), Suite, rootfs, mirror); err != nil {
		return "", err
	}
	pr.Printf("adding kind's base files from %s", kindDir)
	if err := copyTree(filepath.Join(kindDir, "images", "base", "files"), rootfs); err != nil {
		return "", err
	}
	if err := os.MkdirAll(filepath.Join(rootfs, "etc", "cni", "net.d"), 0o755); err != nil {
		return "", err
	}
	if err := os.WriteFile(filepath.Join(rootfs, "etc", "cni", "net.d", "10-wasmbed-bridge.conflist"), []byte(bridgeCNI), 0o644); err != nil {
		return "", err
	}
	if err := os.WriteFile(filepath.Join(rootfs, strings.TrimPrefix(EntrypointPath, "/")), entrypointScript, 0o755); err != nil {
		return "", err
	}
	if err := run(ctx, pr, "chroot", rootfs, "/bin/bash", "-c", setupScript); err != nil {
		return "", err
	}
	pr.Printf("importing the base root filesystem into Docker as %s", ref)
	if err := importDir(ctx, cli, rootfs, ref, imageChanges); err != nil {
		return "", err
	}
	pr.Printf("base image %s built in %s", ref, time.Since(start).Round(time.Second))
	return ref, nil
}

// run runs a command, sending its output to the progress printer only on
// failure (debootstrap is chatty).
func run(ctx context.Context, pr Progress, name string, args ...string) error {
	cmd := exec.CommandContext(ctx, name, args...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		tail := string(out)
		if len(tail) > 4000 {
			tail = tail[len(tail)-4000:]
		}
		return fmt.Errorf("%s %s: %w\n%s", name, strings.Join(args, " "), err, tail)
	}
	return nil
}

// copyTree copies the regular files and symlinks under src into dst.
func copyTree(src, dst string) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		switch {
		case d.IsDir():
			return os.MkdirAll(target, 0o755)
		case d.Type()&fs.ModeSymlink != 0:
			l, err := os.Readlink(p)
			if err != nil {
				return err
			}
			os.Remove(target)
			return os.Symlink(l, target)
		default:
			in, err := os.Open(p)
			if err != nil {
				return err
			}
			defer in.Close()
			st, _ := in.Stat()
			out, err := os.OpenFile(target, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, st.Mode().Perm()|0o200)
			if err != nil {
				return err
			}
			if _, err := io.Copy(out, in); err != nil {
				out.Close()
				return err
			}
			return out.Close()
		}
	})
}
