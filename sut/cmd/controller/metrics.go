package main

import (
	"context"
	"errors"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"
)

// metricsServer serves controller-runtime's registry — its reconcile and
// workqueue metrics and the controller's state metrics — on a listener the
// controller binds itself, so that it can say where: with
// --metrics-addr=127.0.0.1:0 the kernel picks the port, and the READY line
// reports it (controller-runtime's own server does not expose the address
// it bound). It serves on every replica, leader or not.
type metricsServer struct{ ln net.Listener }

// NeedLeaderElection implements manager.LeaderElectionRunnable.
func (metricsServer) NeedLeaderElection() bool { return false }

// Start implements manager.Runnable: it serves until ctx ends.
func (s metricsServer) Start(ctx context.Context) error {
	mux := http.NewServeMux()
	// As controller-runtime's server does: a collector that fails fails the
	// scrape, rather than serving a partial picture.
	mux.Handle("/metrics", promhttp.HandlerFor(ctrlmetrics.Registry, promhttp.HandlerOpts{ErrorHandling: promhttp.HTTPErrorOnError}))
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	if err := srv.Serve(s.ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	<-stopped
	return nil
}
