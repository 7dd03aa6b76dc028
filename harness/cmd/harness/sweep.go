package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/wasmbed/wasmbed/harness/proc"
)

func sweepCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "sweep",
		Short: "End processes left behind by harness runs that were killed",
		RunE: func(*cobra.Command, []string) error {
			killed := proc.Sweep()
			fmt.Printf("ended %d leftover process(es) %v\n", len(killed), killed)
			return nil
		},
	}
}
