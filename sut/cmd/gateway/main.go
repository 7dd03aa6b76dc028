// Command gateway is Wasmbed's device-facing gateway. It serves one Gateway
// object: devices enrol and hold sessions with it over TLS 1.3.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	ctrl "sigs.k8s.io/controller-runtime"

	"github.com/wasmbed/wasmbed/sut/gateway"
)

func main() {
	var (
		opts     gateway.Options
		hosts    string
		logLevel string
		logJSON  bool
	)
	flag.StringVar(&opts.Namespace, "namespace", os.Getenv("POD_NAMESPACE"), "namespace of the Gateway, its Devices and Applications")
	flag.StringVar(&opts.Name, "name", "", "name of the Gateway object this process serves")
	flag.StringVar(&opts.ListenAddr, "listen", ":4443", "device port")
	flag.StringVar(&opts.MetricsAddr, "metrics-addr", ":9090", "address for /metrics, /healthz, /readyz and /debug/pprof; empty disables")
	flag.StringVar(&opts.CASecret, "ca-secret", "wasmbed-ca", "Secret holding the CA")
	flag.StringVar(&hosts, "server-hosts", "", "comma-separated extra names and IPs for the serving certificate")
	flag.DurationVar(&opts.LeaseDuration, "lease-duration", 15*time.Second, "validity of the gateway's Lease")
	flag.DurationVar(&opts.HandshakeTimeout, "handshake-timeout", 5*time.Second, "bound on the TLS handshake and first message")
	flag.DurationVar(&opts.EnrollTimeout, "enroll-timeout", 30*time.Second, "bound on waiting for enrolment approval")
	flag.IntVar(&opts.MaxConnections, "max-connections", 12000, "cap on open TCP connections")
	flag.StringVar(&logLevel, "log-level", "info", "debug, info, warn or error")
	flag.BoolVar(&logJSON, "log-json", false, "log JSON instead of text")
	// --kubeconfig is registered by controller-runtime; in-cluster config
	// is used when it and $KUBECONFIG are empty.
	flag.Parse()

	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(logLevel)); err != nil {
		fmt.Fprintln(os.Stderr, "bad -log-level:", err)
		os.Exit(2)
	}
	hopts := &slog.HandlerOptions{Level: lvl}
	var h slog.Handler = slog.NewTextHandler(os.Stderr, hopts)
	if logJSON {
		h = slog.NewJSONHandler(os.Stderr, hopts)
	}
	opts.Logger = slog.New(h)
	if hosts != "" {
		opts.ServerHosts = strings.Split(hosts, ",")
	}
	cfg, err := ctrl.GetConfig()
	if err != nil {
		opts.Logger.Error("no API server configuration", "err", err)
		os.Exit(1)
	}
	opts.RESTConfig = cfg
	opts.Ready = func(devices, metrics net.Addr) {
		// One line a supervisor can parse for the bound ports.
		fmt.Fprintf(os.Stdout, "READY devices=%s metrics=%s\n", devices, metrics)
	}
	g, err := gateway.New(opts)
	if err != nil {
		opts.Logger.Error("gateway", "err", err)
		os.Exit(1)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if err := g.Run(ctx); err != nil {
		opts.Logger.Error("gateway stopped", "err", err)
		os.Exit(1)
	}
}
