package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/wasmbed/wasmbed/harness/kindnode"
	"github.com/wasmbed/wasmbed/harness/progress"
)

func kindNodeImageCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "kind-node-image",
		Short: "Build the kind node image offline (debootstrap base, Kubernetes from source), cached",
		Long: `Build a kind node image without any registry: a Debian base made with
debootstrap, Kubernetes built from source at the version the local provider
pins, the control-plane, etcd and pause images FROM scratch. Every part is
cached; a second run only checks. Where a registry is reachable, set
WASMBED_KIND_NODE_IMAGE=kindest/node:v1.34.0 instead and skip this.`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			start := time.Now()
			ref, err := kindnode.Ensure(cmd.Context(), kindnode.Options{Progress: progress.Stderr("kind-node")})
			if err != nil {
				return err
			}
			fmt.Printf("%s (ready in %s)\n", ref, time.Since(start).Round(time.Millisecond))
			return nil
		},
	}
}
