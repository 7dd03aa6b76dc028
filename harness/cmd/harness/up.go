package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/wasmbed/wasmbed/harness/config"
	"github.com/wasmbed/wasmbed/harness/env"
	qi "github.com/wasmbed/wasmbed/qemu-images"
)

// upOptions are what `harness up` starts besides the cluster.
type upOptions struct {
	// Devices is how many token-enrolled devices to start.
	Devices int
	// QEMU, if set, is the QEMU profile the devices boot as guests of;
	// process devices otherwise.
	QEMU string
	// Vehicles is how many simulated PX4 vehicles to start, vehicle i
	// flown by device i.
	Vehicles int
}

func (o upOptions) validate() error {
	if o.Devices < 0 || o.Vehicles < 0 {
		return errors.New("--devices and --vehicles cannot be negative")
	}
	if o.Vehicles > o.Devices {
		return fmt.Errorf("--vehicles %d: each vehicle is flown by a device, and there are only %d (--devices)", o.Vehicles, o.Devices)
	}
	if o.QEMU != "" {
		if _, err := qi.LookupProfile(o.QEMU); err != nil {
			return err
		}
	}
	return nil
}

func upCommand() *cobra.Command {
	fs := flag.NewFlagSet("up", flag.ContinueOnError)
	cfg := config.Register(fs)
	var o upOptions
	cmd := &cobra.Command{
		Use:   "up [--devices N] [--qemu PROFILE] [--vehicles N]",
		Short: "Bring up a system to poke at: a cluster, the SUT and a fleet, until Ctrl-C",
		Long: `up boots what the scenarios stand on and keeps it up until Ctrl-C: the
cluster (by default a local kube-apiserver, etcd and kube-controller-manager
built from source), the SUT in a namespace of its own (a controller and a
gateway), and a fleet of token-enrolled devices, each behind its own link
proxy, all Connected before it says "ready". --qemu boots the devices as
QEMU guests of a profile; --vehicles starts simulated PX4 vehicles, vehicle
i flown by device i, as the px4 scenarios do.

It prints the kubeconfig, the namespace, the gateway's endpoint and the
exact command that attaches one more device by hand (with a fresh one-time
token and the CA bundle written to a file). On Ctrl-C (or SIGTERM) it tears
everything down: devices, vehicles, the SUT, the namespace, the cluster,
its temporary files.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := o.validate(); err != nil {
				return err
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), syscall.SIGINT, syscall.SIGTERM)
			defer stop()
			return up(ctx, stop, cfg, o)
		},
	}
	cmd.Flags().IntVar(&o.Devices, "devices", 3, "token-enrolled devices to start")
	cmd.Flags().StringVar(&o.QEMU, "qemu", "", "boot the devices as QEMU guests of this profile ("+strings.Join(qi.ProfileNames(), ", ")+"); process devices if empty")
	cmd.Flags().IntVar(&o.Vehicles, "vehicles", 0, "simulated PX4 vehicles to start, vehicle i flown by device i")
	cmd.Flags().AddGoFlagSet(fs)
	return cmd
}

// up boots the system, prints how to reach it, waits for ctx and tears it
// all down, whether it came up or failed (or was interrupted) half-way.
// stop ends the signal handling, so a second Ctrl-C during the teardown
// exits at once (the next harness run sweeps what is left).
func up(ctx context.Context, stop func(), cfg *config.Config, o upOptions) (err error) {
	s, err := env.Boot(ctx, cfg)
	if err != nil {
		if ctx.Err() != nil {
			return nil // interrupted while the cluster came up; Boot stopped it
		}
		return err
	}
	pr := s.Progress
	var e *env.Env
	defer func() {
		stop()
		pr.Printf("tearing down (Ctrl-C again abandons it; the next harness run sweeps what is left)")
		tctx, cancel := context.WithTimeout(context.Background(), cfg.Scale(2*time.Minute))
		defer cancel()
		if e != nil {
			if _, cerr := e.Close(tctx, false); cerr != nil {
				err = errors.Join(err, cerr)
			}
		}
		if serr := s.Stop(tctx); serr != nil {
			err = errors.Join(err, fmt.Errorf("stop the cluster: %w", serr))
		}
		pr.Printf("everything is down")
	}()
	if e, err = s.NewEnv(ctx, "up"); err != nil {
		return err
	}
	sys, err := startSystem(ctx, e, o)
	if err != nil {
		if ctx.Err() != nil {
			return nil // interrupted while booting: tear down, no error
		}
		return err
	}
	sys.print(os.Stdout)
	<-ctx.Done()
	fmt.Println()
	return nil
}
