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
		NodeImage: func(ctx context.Context, pr cluster.Progress) (string, bool, error) {
			if ref := os.Getenv(NodeImageEnv); ref != "" {
				return ref, true, nil
			}
			ref, err := kindnode.Ensure(ctx, kindnode.Options{Progress: pr})
			return ref, false, err
		},
		Reuse:   cfg.KeepCluster,
		LogsDir: logs,
	}, nil
}
