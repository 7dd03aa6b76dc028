package env

import (
	"context"
	"os"

	"github.com/wasmbed/wasmbed/harness/cluster"
	"github.com/wasmbed/wasmbed/harness/cluster/kind"
	"github.com/wasmbed/wasmbed/harness/config"
	"github.com/wasmbed/wasmbed/harness/kindnode"
	"github.com/wasmbed/wasmbed/harness/workspace"
)

// NodeImageEnv names a kind node image to use instead of the one built
// offline, e.g. kindest/node:v1.34.0 where a registry is reachable.
const NodeImageEnv = "WASMBED_KIND_NODE_IMAGE"

// NodeImage is the kind provider's node image: the one
// WASMBED_KIND_NODE_IMAGE names (with kind's own CNI), else the offline
// image harness/kindnode builds (bridge CNI, its kubeadm patches).
func NodeImage(ctx context.Context, pr cluster.Progress) (kind.NodeImage, error) {
	if ref := os.Getenv(NodeImageEnv); ref != "" {
		return kind.NodeImage{Ref: ref, DefaultCNI: true}, nil
	}
	ref, err := kindnode.Ensure(ctx, kindnode.Options{Progress: pr})
	if err != nil {
		return kind.NodeImage{}, err
	}
	patches, err := kindnode.KubeadmPatches()
	return kind.NodeImage{Ref: ref, KubeadmPatches: patches}, err
}

// kindProvider returns the kind provider: the node image from
// WASMBED_KIND_NODE_IMAGE or built offline by harness/kindnode, the
// cluster kept and reused under WASMBED_KEEP_CLUSTER, and cluster logs
// exported into the run's report folder when creation fails.
func kindProvider() (cluster.Provider, error) {
	cfg := config.FromEnv()
	logs := ""
	if cfg.RunID != "" {
		logs, _ = workspace.ReportsDir(cfg.RunID)
	}
	return kind.Provider{
		NodeImage: NodeImage,
		Reuse:     cfg.KeepCluster,
		LogsDir:   logs,
	}, nil
}
