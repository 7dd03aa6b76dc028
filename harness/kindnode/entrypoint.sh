#!/bin/bash
# wasmbed-entrypoint: runs before kind's own entrypoint in every node of the
# offline node image (and of any node image the kind provider wraps for an
# engine that refuses --privileged). Each step tries what it needs and only
# acts when the try fails, so on a privileged node it changes nothing but
# the snapshotter choice (see 3).
#
#  1. cgroup v1 hierarchies mounted read-only. Docker mounts them rw only
#     for --privileged containers; kind's entrypoint then fails creating
#     /sys/fs/cgroup/<controller>/kubelet. With CAP_SYS_ADMIN in a private
#     cgroup namespace a bind remount makes this container's view rw.
#  2. No CAP_SYS_RESOURCE: no process may lower its oom_score_adj, and
#     the kubelet asks containerd for negative scores (-997 for critical
#     pods), which runc would fail to apply. containerd's
#     restrict_oom_score_adj clamps them to its own score instead (kind
#     does the same under user namespaces).
#  3. Snapshotter. kind picks fuse-overlayfs when the node's root is a
#     FUSE mount (Docker's fuse-overlayfs storage driver), which needs the
#     containerd-fuse-overlayfs-grpc proxy the offline image does not
#     ship. containerd's snapshots live on /var, a Docker volume on the
#     host's filesystem, where kernel overlayfs usually works: try an
#     overlay mount there and use overlayfs if it works, else native.
#     KIND_EXPERIMENTAL_CONTAINERD_SNAPSHOTTER still wins when set.
#  4. kubeadm before containerd. On cgroup v1 kind goes on to `kubeadm
#     init` as soon as its entrypoint logs "detected cgroup v1", before
#     systemd has started containerd; on a loaded machine kubeadm's
#     preflight then finds no CRI socket and fails. kubeadm is wrapped
#     (once) to wait for containerd first.
set -o errexit -o nounset -o pipefail

log() { echo "INFO: wasmbed: $1" >&2; }

# 1. cgroup v1 read-only hierarchies
if [[ ! -f /sys/fs/cgroup/cgroup.controllers ]]; then
  while read -r target opts; do
    case ",${opts}," in
    *,ro,*)
      mount -o remount,bind,rw,nosuid,nodev,noexec "${target}" "${target}"
      log "remounted ${target} read-write"
      ;;
    esac
  done < <(findmnt -rn -t cgroup -o TARGET,OPTIONS)
fi

# 2. oom_score_adj cannot be lowered
if ! (echo -999 >/proc/self/oom_score_adj) 2>/dev/null; then
  log "cannot lower oom_score_adj (no CAP_SYS_RESOURCE): containerd restricts pods' oom_score_adj to its own"
  sed -i 's/restrict_oom_score_adj = false/restrict_oom_score_adj = true/' /etc/containerd/config.toml
fi

# 3. snapshotter
if [[ -z "${KIND_EXPERIMENTAL_CONTAINERD_SNAPSHOTTER:-}" ]]; then
  mkdir -p /var/lib/containerd
  probe=$(mktemp -d -p /var/lib/containerd .wasmbed-overlay-probe.XXXXXX)
  mkdir -p "${probe}/l" "${probe}/u" "${probe}/w" "${probe}/m"
  if mount -t overlay -o "lowerdir=${probe}/l,upperdir=${probe}/u,workdir=${probe}/w" overlay "${probe}/m" 2>/dev/null; then
    umount "${probe}/m"
    export KIND_EXPERIMENTAL_CONTAINERD_SNAPSHOTTER=overlayfs
  else
    export KIND_EXPERIMENTAL_CONTAINERD_SNAPSHOTTER=native
  fi
  rm -rf "${probe}"
  log "containerd snapshotter: ${KIND_EXPERIMENTAL_CONTAINERD_SNAPSHOTTER} (overlay mount on /var tried)"
fi

# 4. kubeadm waits for containerd
if [[ ! -x /usr/local/lib/wasmbed/kubeadm ]]; then
  mkdir -p /usr/local/lib/wasmbed
  mv /usr/bin/kubeadm /usr/local/lib/wasmbed/kubeadm
  cat >/usr/bin/kubeadm <<'WRAPPER'
#!/bin/sh
# kubeadm, waiting for containerd first (see /usr/local/bin/wasmbed-entrypoint).
case "$1" in
init|join)
  i=0
  until ctr --timeout 1s version >/dev/null 2>&1 || [ "$i" -ge 240 ]; do i=$((i + 1)); sleep 0.25; done
  ;;
esac
exec /usr/local/lib/wasmbed/kubeadm "$@"
WRAPPER
  chmod 0755 /usr/bin/kubeadm
fi

exec /usr/local/bin/entrypoint "$@"
