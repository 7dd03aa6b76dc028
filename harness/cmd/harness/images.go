package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/wasmbed/wasmbed/harness/images"
	"github.com/wasmbed/wasmbed/harness/progress"
)

func imagesCommand() *cobra.Command {
	var force bool
	cmd := &cobra.Command{
		Use:   "images",
		Short: "Build the gateway, controller and device images (FROM scratch, tagged by content digest)",
		Long: `Build the SUT's container images through the Docker API. Each image holds
one static binary and the CA bundle; its tag is the digest of that content,
so an unchanged tree builds nothing. --force rebuilds the images anyway, to
measure a cold build.`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			start := time.Now()
			set, err := images.Ensure(cmd.Context(), images.Options{Progress: progress.Stderr("images"), Force: force})
			if err != nil {
				return err
			}
			for _, im := range set.All() {
				state := "cached"
				if im.Built {
					state = "built"
				}
				fmt.Printf("%-10s %s (%s)\n", im.Component, im.Ref, state)
			}
			fmt.Printf("images ready in %s\n", time.Since(start).Round(time.Millisecond))
			return nil
		},
	}
	cmd.Flags().BoolVar(&force, "force", false, "rebuild even if the tags exist (cold timing)")
	return cmd
}
