package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/wasmbed/wasmbed/harness/containers"
)

func containersCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "containers",
		Short: "Manage the containers and networks the harness creates",
	}
	cmd.AddCommand(&cobra.Command{
		Use:   "sweep",
		Short: "Remove containers and networks left behind by harness runs that were killed",
		RunE: func(cmd *cobra.Command, _ []string) error {
			swept, err := containers.SweepDead(cmd.Context())
			fmt.Printf("removed %d container(s) %v and %d network(s) %v\n",
				len(swept.Containers), swept.Containers, len(swept.Networks), swept.Networks)
			return err
		},
	})
	return cmd
}
