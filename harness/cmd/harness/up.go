package main

import (
	"context"
	"flag"
	"fmt"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/wasmbed/wasmbed/harness/config"
	"github.com/wasmbed/wasmbed/harness/env"
)

func upCommand() *cobra.Command {
	fs := flag.NewFlagSet("up", flag.ContinueOnError)
	cfg := config.Register(fs)
	cmd := &cobra.Command{
		Use:   "up",
		Short: "Bring an environment up, print its kubeconfig and wait until interrupted",
		Long: `up boots the environment the scenarios use (by default a local
kube-apiserver, etcd and kube-controller-manager built from source) and keeps
it up until Ctrl-C, so you can poke at it with kubectl or reproduce a field
bug by hand. Everything it started is torn down on exit.`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, stop := signal.NotifyContext(cmd.Context(), syscall.SIGINT, syscall.SIGTERM)
			defer stop()
			s, err := env.Boot(ctx, cfg)
			if err != nil {
				return err
			}
			defer func() {
				sctx, cancel := context.WithTimeout(context.Background(), time.Minute)
				defer cancel()
				if err := s.Stop(sctx); err != nil {
					fmt.Println("stop:", err)
				}
			}()
			fmt.Printf("\nkubeconfig: %s\n", s.Shared.Kubeconfig)
			fmt.Printf("try:        kubectl --kubeconfig %s get devices -A\n", s.Shared.Kubeconfig)
			fmt.Println("press Ctrl-C to tear everything down")
			<-ctx.Done()
			return nil
		},
	}
	cmd.Flags().AddGoFlagSet(fs)
	return cmd
}
