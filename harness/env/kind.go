package env

import (
	"context"

	"github.com/wasmbed/wasmbed/harness/cluster"
	"github.com/wasmbed/wasmbed/harness/cluster/kind"
	"github.com/wasmbed/wasmbed/harness/config"
	"github.com/wasmbed/wasmbed/harness/kindnode"
	"github.com/wasmbed/wasmbed/harness/workspace"
)

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
		NodeImage: func(ctx context.Context, pr cluster.Progress) (string, bool, error) {
			if cfg.KindNodeImage != "" {
				return cfg.KindNodeImage, true, nil
			}
			ref, err := kindnode.Ensure(ctx, kindnode.Options{Progress: pr})
			return ref, false, err
		},
		Reuse:        cfg.KeepCluster,
		LogsDir:      logs,
		TimeoutScale: cfg.TimeoutScale,
	}
}
