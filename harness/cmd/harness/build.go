package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/wasmbed/wasmbed/harness/cluster/local"
	"github.com/wasmbed/wasmbed/harness/progress"
)

func buildCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "build",
		Short: "Build and cache what the scenarios need",
	}
	cmd.AddCommand(&cobra.Command{
		Use:   "k8s",
		Short: "Build etcd, kube-apiserver, kube-controller-manager and kubectl from source",
		RunE: func(cmd *cobra.Command, _ []string) error {
			b, err := local.EnsureBinaries(cmd.Context(), progress.Stderr("k8s"))
			if err != nil {
				return err
			}
			fmt.Println(b.Dir)
			return nil
		},
	})
	return cmd
}
