package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/wasmbed/wasmbed/harness/summary"
)

func reportCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "report <run-dir>",
		Short: "Print a run's pass/fail summary and write it to <run-dir>/summary.txt",
		Args:  cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			reports, err := summary.Load(filepath.Join(args[0], "report.json"))
			if err != nil {
				return err
			}
			var buf bytes.Buffer
			c := summary.Write(&buf, reports)
			fmt.Fprintf(&buf, "  reports: %s/junit.xml, %s/report.json\n", args[0], args[0])
			os.Stdout.Write(buf.Bytes())
			if err := os.WriteFile(filepath.Join(args[0], "summary.txt"), buf.Bytes(), 0o644); err != nil {
				return err
			}
			if c.Failed > 0 {
				return fmt.Errorf("%d spec(s) failed", c.Failed)
			}
			return nil
		},
	}
}
