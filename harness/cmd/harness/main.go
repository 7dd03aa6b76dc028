// Command harness is the scenario engine's command line: it brings an
// environment up for manual poking or for reproducing a field bug by hand,
// builds the artifacts the scenarios need, and cleans up after crashed runs.
package main

import (
	"os"

	"github.com/go-logr/logr"
	"github.com/spf13/cobra"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"
)

func main() {
	// envtest and the clients log through controller-runtime; the CLI
	// reports what matters itself.
	ctrllog.SetLogger(logr.Discard())
	root := &cobra.Command{
		Use:           "harness",
		Short:         "Wasmbed's scenario harness",
		SilenceUsage:  true,
		SilenceErrors: false,
	}
	root.AddCommand(upCommand(), buildCommand(), sweepCommand(), reportCommand(), nightlyCommand(), imagesCommand(), qemuImagesCommand(), kindNodeImageCommand(), containersCommand())
	if err := root.Execute(); err != nil {
		os.Exit(1)
	}
}
