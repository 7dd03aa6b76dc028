package gateway

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/cluster"

	"github.com/wasmbed/wasmbed/sut/api/scheme"
	wasmbedv1 "github.com/wasmbed/wasmbed/sut/api/v1alpha1"
	"github.com/wasmbed/wasmbed/sut/pki"
	"github.com/wasmbed/wasmbed/sut/vehiclebridge"
)

// Options configure a gateway process.
type Options struct {
	// Namespace holds the Gateway, its Devices and Applications.
	Namespace string
	// Name is the Gateway object this process serves.
	Name string
	// ListenAddr is the device port, e.g. ":4443" or "127.0.0.1:0".
	ListenAddr string
	// MetricsAddr serves /metrics, /healthz, /readyz and /debug/pprof.
	MetricsAddr string
	// CASecret names the CA Secret in Namespace.
	CASecret string
	// ServerHosts are extra names and IPs for the serving certificate.
	ServerHosts []string
	// LeaseDuration is how long the gateway's Lease stays valid unrenewed.
	LeaseDuration time.Duration
	// HandshakeTimeout bounds the TLS handshake and the first message.
	HandshakeTimeout time.Duration
	// EnrollTimeout bounds the wait for the controller to approve.
	EnrollTimeout time.Duration
	// MaxConnections caps open TCP connections, handshaking or not.
	MaxConnections int
	// RESTConfig reaches the API server.
	RESTConfig *rest.Config
	// Logger receives structured logs.
	Logger *slog.Logger
	// Ready, if set, is called with the bound device address.
	Ready func(devices, metrics net.Addr)
}

func (o *Options) defaults() {
	if o.CASecret == "" {
		o.CASecret = pki.DefaultSecretName
	}
	if o.LeaseDuration == 0 {
		o.LeaseDuration = 15 * time.Second
	}
	if o.HandshakeTimeout == 0 {
		o.HandshakeTimeout = 5 * time.Second
	}
	if o.EnrollTimeout == 0 {
		o.EnrollTimeout = 30 * time.Second
	}
	if o.MaxConnections == 0 {
		o.MaxConnections = 12000
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
}

// Gateway serves devices.
type Gateway struct {
	opts    Options
	log     *slog.Logger
	cluster cluster.Cluster
	client  client.Client // reads from the informer cache
	reader  client.Reader // reads from the API server

	ca      atomic.Pointer[pki.CA]
	serving atomic.Pointer[tls.Certificate]
	spec    atomic.Pointer[wasmbedv1.GatewaySpec]

	reg      *registry
	status   *statusWriter
	metrics  *metrics
	limiter  *sourceLimiter
	waiters  *enrollWaiters
	apps     *appSync
	vehicles *vehiclebridge.Bridge
	sessions sync.WaitGroup
	started  time.Time
}

// New checks the options and connects to the API server; Run serves.
func New(opts Options) (*Gateway, error) {
	opts.defaults()
	if opts.Namespace == "" || opts.Name == "" {
		return nil, errors.New("gateway: --namespace and --name are required")
	}
	if opts.RESTConfig == nil {
		return nil, errors.New("gateway: no API server configuration")
	}
	cfg := rest.CopyConfig(opts.RESTConfig)
	// Enrolment bursts and status writes from thousands of devices must not
	// queue behind client-go's default 5 QPS; the API server's own priority
	// and fairness protects it.
	cfg.QPS, cfg.Burst = 500, 1000
	cl, err := cluster.New(cfg, func(o *cluster.Options) {
		o.Scheme = scheme.Scheme
		o.Cache.DefaultNamespaces = map[string]cache.Config{opts.Namespace: {}}
		o.Cache.ByObject = map[client.Object]cache.ByObject{
			&corev1.Secret{}: {Field: fields.OneTermEqualSelector("metadata.name", opts.CASecret)},
		}
	})
	if err != nil {
		return nil, err
	}
	g := &Gateway{
		opts:    opts,
		log:     opts.Logger.With("gateway", opts.Namespace+"/"+opts.Name),
		cluster: cl,
		client:  cl.GetClient(),
		reader:  cl.GetAPIReader(),
		reg:     newRegistry(),
		metrics: newMetrics(),
		waiters: newEnrollWaiters(),
	}
	g.status = newStatusWriter(g)
	g.apps = newAppSync(g)
	g.vehicles = newVehicleBridge(g)
	return g, nil
}

// Run serves until ctx ends, then shuts down gracefully: it stops
// accepting, closes sessions, and flushes pending status writes.
func (g *Gateway) Run(ctx context.Context) error {
	g.started = time.Now()
	if err := g.cluster.GetFieldIndexer().IndexField(ctx, &wasmbedv1.Device{}, indexPublicKey, func(o client.Object) []string {
		return []string{o.(*wasmbedv1.Device).Spec.PublicKey}
	}); err != nil {
		return err
	}
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	clusterErr := make(chan error, 1)
	go func() { clusterErr <- g.cluster.Start(runCtx) }()
	if !g.cluster.GetCache().WaitForCacheSync(ctx) {
		return errors.New("gateway: informer caches did not sync")
	}

	var gw wasmbedv1.Gateway
	if err := g.reader.Get(ctx, client.ObjectKey{Namespace: g.opts.Namespace, Name: g.opts.Name}, &gw); err != nil {
		return fmt.Errorf("gateway: read Gateway %s/%s (create it before starting the gateway): %w", g.opts.Namespace, g.opts.Name, err)
	}
	g.setSpec(&gw.Spec)

	ca, _, err := pki.LoadOrCreate(ctx, g.client, g.opts.Namespace, g.opts.CASecret)
	if err != nil {
		return fmt.Errorf("gateway: CA: %w", err)
	}
	if err := g.installCA(ca); err != nil {
		return err
	}
	if err := g.watch(ctx); err != nil {
		return err
	}
	if err := g.vehicles.Start(runCtx); err != nil {
		return err
	}

	ln, err := net.Listen("tcp", g.opts.ListenAddr)
	if err != nil {
		return fmt.Errorf("gateway: listen on %s: %w", g.opts.ListenAddr, err)
	}
	var metricsAddr net.Addr
	var metricsSrv *http.Server
	if g.opts.MetricsAddr != "" {
		mln, err := net.Listen("tcp", g.opts.MetricsAddr)
		if err != nil {
			ln.Close()
			return fmt.Errorf("gateway: metrics listen on %s: %w", g.opts.MetricsAddr, err)
		}
		metricsAddr = mln.Addr()
		metricsSrv = &http.Server{Handler: g.httpHandler(), ReadHeaderTimeout: 5 * time.Second}
		go func() { _ = metricsSrv.Serve(mln) }()
	}

	g.limiter = newSourceLimiter(func() int32 { return g.getSpec().Enrollment.MaxPerSourcePerMinute })
	go g.status.run(runCtx)
	go g.apps.run(runCtx)
	go g.renewLease(runCtx)
	go g.reportGatewayStatus(runCtx)
	go g.sweepStale(runCtx)

	g.log.Info("serving devices", "addr", ln.Addr().String(), "metrics", addrString(metricsAddr))
	if g.opts.Ready != nil {
		g.opts.Ready(ln.Addr(), metricsAddr)
	}
	serveErr := make(chan error, 1)
	go func() { serveErr <- g.serve(runCtx, ln) }()

	select {
	case <-ctx.Done():
	case err = <-serveErr:
	case err = <-clusterErr:
	}
	g.log.Info("shutting down")
	ln.Close()
	for _, s := range g.reg.all() {
		s.close(true)
	}
	g.sessions.Wait()
	g.vehicles.Close()
	flushCtx, flushCancel := context.WithTimeout(context.Background(), 5*time.Second)
	g.status.flush(flushCtx)
	flushCancel()
	if metricsSrv != nil {
		_ = metricsSrv.Close()
	}
	cancel()
	if errors.Is(err, context.Canceled) {
		err = nil
	}
	return err
}

func (g *Gateway) httpHandler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(g.metrics.registry, promhttp.HandlerOpts{}))
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok")) })
	mux.HandleFunc("/readyz", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok")) })
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	return mux
}

// installCA makes ca current and issues a fresh serving certificate from it.
func (g *Gateway) installCA(ca *pki.CA) error {
	pub, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return err
	}
	hosts := append([]string{"localhost", "127.0.0.1"}, g.opts.ServerHosts...)
	if h, _, err := net.SplitHostPort(g.getSpec().Endpoint); err == nil {
		hosts = append(hosts, h)
	}
	leaf, err := ca.IssueServer(pub, g.opts.Name, hosts, time.Now(), 365*24*time.Hour)
	if err != nil {
		return err
	}
	cert := &tls.Certificate{Certificate: [][]byte{leaf.Raw}, PrivateKey: key, Leaf: leaf}
	for _, c := range ca.ServingChain() {
		cert.Certificate = append(cert.Certificate, c.Raw)
	}
	g.ca.Store(ca)
	g.serving.Store(cert)
	return nil
}

func (g *Gateway) setSpec(s *wasmbedv1.GatewaySpec) {
	c := s.DeepCopy()
	g.spec.Store(c)
}

func (g *Gateway) getSpec() *wasmbedv1.GatewaySpec { return g.spec.Load() }

// Metrics handler for embedding (tests).
func (g *Gateway) Metrics() http.Handler {
	return promhttp.HandlerFor(g.metrics.registry, promhttp.HandlerOpts{})
}

func addrString(a net.Addr) string {
	if a == nil {
		return ""
	}
	return a.String()
}
