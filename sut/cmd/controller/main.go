// Command controller runs Wasmbed's reconcilers under leader election.
package main

import (
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/fields"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	"github.com/wasmbed/wasmbed/sut/api/scheme"
	"github.com/wasmbed/wasmbed/sut/controller"
)

func main() {
	var (
		namespace, leNamespace, metricsAddr, probeAddr, caSecret, logLevel string
		leaderElect                                                        bool
		leaseDuration, overlap                                             time.Duration
	)
	flag.StringVar(&namespace, "namespace", "", "watch only this namespace; empty watches all")
	flag.BoolVar(&leaderElect, "leader-elect", true, "elect a leader so only one replica reconciles")
	flag.StringVar(&leNamespace, "leader-election-namespace", "", "namespace of the leader-election Lease (defaults to -namespace)")
	flag.DurationVar(&leaseDuration, "leader-election-lease-duration", 15*time.Second, "leader-election lease duration")
	flag.StringVar(&metricsAddr, "metrics-addr", ":8080", "metrics address; 0 disables; with port 0 the kernel picks one, reported on the READY line")
	flag.StringVar(&probeAddr, "health-probe-addr", ":8081", "health probe address; 0 disables")
	flag.StringVar(&caSecret, "ca-secret", "wasmbed-ca", "Secret holding the CA in each namespace")
	flag.DurationVar(&overlap, "ca-overlap", 24*time.Hour, "how long a rotated-out CA stays trusted")
	flag.StringVar(&logLevel, "log-level", "info", "debug, info, warn or error")
	flag.Parse()

	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(logLevel)); err != nil {
		fmt.Fprintln(os.Stderr, "bad -log-level:", err)
		os.Exit(2)
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: lvl}))
	ctrl.SetLogger(logr.FromSlogHandler(logger.Handler()))

	if leNamespace == "" {
		leNamespace = namespace
	}
	cacheOpts := cache.Options{
		// Only the CA Secret: token Secrets are the gateways' business.
		ByObject: map[client.Object]cache.ByObject{
			&corev1.Secret{}: {Field: fields.OneTermEqualSelector("metadata.name", caSecret)},
		},
	}
	if namespace != "" {
		cacheOpts.DefaultNamespaces = map[string]cache.Config{namespace: {}}
	}
	renew := leaseDuration * 2 / 3
	retry := leaseDuration / 6
	cfg := ctrl.GetConfigOrDie()
	cfg.QPS, cfg.Burst = 200, 400
	var metricsLn net.Listener
	if metricsAddr != "0" {
		var err error
		if metricsLn, err = net.Listen("tcp", metricsAddr); err != nil {
			logger.Error("metrics listener", "err", err)
			os.Exit(1)
		}
	}
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		Scheme:                        scheme.Scheme,
		Cache:                         cacheOpts,
		Metrics:                       metricsserver.Options{BindAddress: "0"}, // metricsServer serves them
		HealthProbeBindAddress:        probeAddr,
		LeaderElection:                leaderElect,
		LeaderElectionID:              "wasmbed-controller",
		LeaderElectionNamespace:       leNamespace,
		LeaderElectionReleaseOnCancel: true,
		LeaseDuration:                 &leaseDuration,
		RenewDeadline:                 &renew,
		RetryPeriod:                   &retry,
	})
	if err != nil {
		logger.Error("manager", "err", err)
		os.Exit(1)
	}
	if err := controller.Setup(mgr, controller.Options{CASecret: caSecret, OverlapDuration: overlap}); err != nil {
		logger.Error("setup", "err", err)
		os.Exit(1)
	}
	metricsAt := ""
	if metricsLn != nil {
		if err := mgr.Add(metricsServer{metricsLn}); err != nil {
			logger.Error("metrics server", "err", err)
			os.Exit(1)
		}
		metricsAt = metricsLn.Addr().String()
	}
	if probeAddr != "0" {
		_ = mgr.AddHealthzCheck("ping", func(_ *http.Request) error { return nil })
		_ = mgr.AddReadyzCheck("ping", func(_ *http.Request) error { return nil })
	}
	logger.Info("starting controller", "namespace", namespace, "leaderElection", leaderElect, "metrics", metricsAt)
	// The harness waits for this line and reads the metrics address from it.
	fmt.Fprintf(os.Stdout, "READY metrics=%s\n", metricsAt)
	if err := mgr.Start(ctrl.SetupSignalHandler()); err != nil {
		logger.Error("controller stopped", "err", err)
		os.Exit(1)
	}
}
