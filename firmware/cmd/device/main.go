// Command device is the Wasmbed device firmware. As a host process it runs
// one device whose flash is a directory; as PID 1 of a QEMU guest it runs
// the same agent over the guest's serial data line.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/wasmbed/wasmbed/firmware/agent"
	"github.com/wasmbed/wasmbed/firmware/device"
	"github.com/wasmbed/wasmbed/firmware/flash"
)

func main() {
	if isPID1() {
		runGuest()
		return
	}
	var (
		flashDir, gatewayAddr, name, profile, token, caFile, serverName, logLevel string
		logJSON                                                                   bool
		backoffMax                                                                time.Duration
	)
	flag.StringVar(&flashDir, "flash", "", "directory standing for the device's flash (required)")
	flag.StringVar(&gatewayAddr, "gateway", "", "gateway host:port (required)")
	flag.StringVar(&name, "name", "", "device name to ask for at token enrolment")
	flag.StringVar(&profile, "profile", "process", "device profile: process, esp32-sim, arm64-virt, riscv64-virt, x86_64-microvm")
	flag.StringVar(&token, "token", "", "enrolment token; defaults to provision/token in flash")
	flag.StringVar(&caFile, "ca", "", "CA bundle (PEM) to provision into flash if it has none")
	flag.StringVar(&serverName, "server-name", "wasmbed-gateway", "name to verify in the gateway's certificate")
	flag.StringVar(&logLevel, "log-level", "info", "debug, info, warn or error")
	flag.BoolVar(&logJSON, "log-json", false, "log JSON")
	flag.DurationVar(&backoffMax, "backoff-max", 30*time.Second, "longest wait between reconnection attempts")
	flag.Parse()

	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(logLevel)); err != nil {
		fail("bad -log-level: %v", err)
	}
	hopts := &slog.HandlerOptions{Level: lvl}
	var h slog.Handler = slog.NewTextHandler(os.Stderr, hopts)
	if logJSON {
		h = slog.NewJSONHandler(os.Stderr, hopts)
	}
	logger := slog.New(h)

	if flashDir == "" || gatewayAddr == "" {
		fail("-flash and -gateway are required")
	}
	prof, ok := agent.Profiles[profile]
	if !ok {
		fail("unknown -profile %q", profile)
	}
	store := flash.Dir(flashDir)
	if caFile != "" {
		if _, err := store.Read(flash.ProvisionCA); err != nil {
			data, err := os.ReadFile(caFile)
			if err != nil {
				fail("read -ca: %v", err)
			}
			if err := store.Write(flash.ProvisionCA, data); err != nil {
				fail("provision CA: %v", err)
			}
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	var nd net.Dialer
	dev, err := device.New(ctx, device.Config{
		Name:       name,
		Profile:    prof,
		Store:      store,
		Dial:       func(ctx context.Context) (net.Conn, error) { return nd.DialContext(ctx, "tcp", gatewayAddr) },
		ServerName: serverName,
		Token:      token,
		Logger:     logger,
		Backoff:    agent.Backoff{Initial: 100 * time.Millisecond, Max: backoffMax},
	})
	if err != nil {
		fail("%v", err)
	}
	logger.Info("device starting", "profile", prof.Name, "arch", prof.Arch, "gateway", gatewayAddr, "enrolled", dev.Agent.Enrolled())
	if err := dev.Run(ctx); err != nil {
		logger.Error("device stopped", "err", err)
		os.Exit(1)
	}
	logger.Info("device stopped")
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "device: "+format+"\n", args...)
	os.Exit(2)
}
