package env

import (
	"context"

	"github.com/wasmbed/wasmbed/harness/cluster"
	"github.com/wasmbed/wasmbed/harness/cluster/kind"
	"github.com/wasmbed/wasmbed/harness/config"
	"github.com/wasmbed/wasmbed/harness/kindnode"
	"github.com/wasmbed/wasmbed/harness/workspace"
)

// NodeImage returns the kind provider's node image source: ref (the
// configuration's WASMBED_KIND_NODE_IMAGE, with kind's own CNI) if set,
// else the offline image harness/kindnode builds (bridge CNI, its kubeadm
// patches).
func NodeImage(ref string) func(context.Context, cluster.Progress) (kind.NodeImage, error) {
	return func(ctx context.Context, pr cluster.Progress) (kind.NodeImage, error) {
		if ref != "" {
			return kind.NodeImage{Ref: ref, DefaultCNI: true}, nil
		}
		built, err := kindnode.Ensure(ctx, kindnode.Options{Progress: pr})
		if err != nil {
			return kind.NodeImage{}, err
		}
		patches, err := kindnode.KubeadmPatches()
		return kind.NodeImage{Ref: built, KubeadmPatches: patches}, err
	}
}

// kindProvider returns the kind provider for cfg: the node image it names
// (WASMBED_KIND_NODE_IMAGE) or one built offline by harness/kindnode, the
// cluster kept and reused under -wasmbed.keep-cluster, and cluster logs
// exported into the run's report folder when creation fails.
func kindProvider(cfg *config.Config) cluster.Provider {
	logs := ""
	if cfg.RunID != "" {
		logs, _ = workspace.ReportsDir(cfg.RunID)
	}
	return kind.Provider{
		NodeImage:    NodeImage(cfg.KindNodeImage),
		Reuse:        cfg.KeepCluster,
		LogsDir:      logs,
		TimeoutScale: cfg.TimeoutScale,
	}
}
