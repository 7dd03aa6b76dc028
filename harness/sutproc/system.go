package sutproc

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/wasmbed/wasmbed/harness/env"
	wasmbedv1 "github.com/wasmbed/wasmbed/sut/api/v1alpha1"
)

// Options choose what Start brings up.
type Options struct {
	// Gateways to run; one named "gw" with scenario-friendly timings if
	// empty.
	Gateways []GatewayOptions
	// Controllers is the number of controller replicas (leader election
	// picks one); 1 if zero, none if negative.
	Controllers int
	// CAOverlap is how long a rotated-out CA stays trusted.
	CAOverlap time.Duration
	// ControllerLease is the leader-election lease duration.
	ControllerLease time.Duration
	// Launcher runs the controller and gateway incarnations; host
	// processes if nil (harness/containers runs them as containers).
	Launcher Launcher
}

// GatewayOptions describe one gateway.
type GatewayOptions struct {
	// Name of the Gateway object and process.
	Name string
	// Spec is the Gateway spec; Endpoint is filled in by the harness.
	Spec wasmbedv1.GatewaySpec
	// LeaseDuration of the gateway's Lease.
	LeaseDuration time.Duration
	// HandshakeTimeout, EnrollTimeout and MaxConnections map to flags.
	HandshakeTimeout time.Duration
	EnrollTimeout    time.Duration
	MaxConnections   int
}

// ScenarioTimings is a Gateway spec with short intervals so disconnect
// scenarios finish in seconds: heartbeat 500 ms, timeout 2 s, status flush
// 2 s, unreachable grace 3 s.
func ScenarioTimings() wasmbedv1.GatewaySpec {
	return wasmbedv1.GatewaySpec{
		HeartbeatInterval:      &metav1.Duration{Duration: 500 * time.Millisecond},
		HeartbeatTimeout:       &metav1.Duration{Duration: 2 * time.Second},
		StatusFlushInterval:    &metav1.Duration{Duration: 2 * time.Second},
		UnreachableGracePeriod: &metav1.Duration{Duration: 3 * time.Second},
	}
}

// System is the running SUT of one Env.
type System struct {
	e           *env.Env
	Controllers []*Component
	gateways    map[string]*Gateway
	order       []string
	launcher    Launcher
}

// Start installs RBAC, creates the Gateway objects, and starts the
// controller(s) and gateway(s). Everything is stopped when the Env closes.
func Start(ctx context.Context, e *env.Env, opts Options) (*System, error) {
	if err := EnsureClusterRoles(ctx, e.Client); err != nil {
		return nil, fmt.Errorf("install SUT cluster roles: %w", err)
	}
	if len(opts.Gateways) == 0 {
		opts.Gateways = []GatewayOptions{{Name: "gw", Spec: ScenarioTimings()}}
	}
	s := &System{e: e, gateways: map[string]*Gateway{}, launcher: opts.Launcher}
	e.Defer("stop SUT processes", func(context.Context) error { s.stopAll(); return nil })

	if opts.Controllers >= 0 {
		n := max(opts.Controllers, 1)
		kc, err := serviceAccountKubeconfig(ctx, e, "controller")
		if err != nil {
			return nil, err
		}
		lease := opts.ControllerLease
		if lease == 0 {
			lease = 4 * time.Second
		}
		overlap := opts.CAOverlap
		if overlap == 0 {
			overlap = 24 * time.Hour
		}
		for i := range n {
			c := &Component{
				Name: "controller-" + strconv.Itoa(i),
				bin:  e.Shared.Bins.Controller,
				args: []string{
					"--kubeconfig=" + kc, "--namespace=" + e.Namespace,
					"--leader-elect=true", "--leader-election-lease-duration=" + lease.String(),
					"--metrics-addr=127.0.0.1:0", "--health-probe-addr=0", "--ca-overlap=" + overlap.String(),
				},
				logDir:   e.ArtifactDir,
				launcher: opts.Launcher,
			}
			// Ready once its metrics listener is bound (MetricsAddr), before
			// leader election.
			sctx, cancel := context.WithTimeout(ctx, 60*time.Second)
			err := c.Start(sctx, true)
			cancel()
			if err != nil {
				return nil, err
			}
			s.Controllers = append(s.Controllers, c)
		}
	}
	kc, err := serviceAccountKubeconfig(ctx, e, "gateway")
	if err != nil {
		return nil, err
	}
	for _, g := range opts.Gateways {
		gw, err := s.addGateway(ctx, kc, g)
		if err != nil {
			return nil, err
		}
		if err := gw.Start(ctx); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// Gateway returns the named gateway, or the first one for "".
func (s *System) Gateway(name string) *Gateway {
	if name == "" && len(s.order) > 0 {
		name = s.order[0]
	}
	return s.gateways[name]
}

// Gateways returns every gateway in start order.
func (s *System) Gateways() []*Gateway {
	out := make([]*Gateway, 0, len(s.order))
	for _, n := range s.order {
		out = append(out, s.gateways[n])
	}
	return out
}

func (s *System) stopAll() {
	for _, g := range s.gateways {
		_ = g.Stop(5 * time.Second)
	}
	for _, c := range s.Controllers {
		_ = c.Stop(5 * time.Second)
	}
}

// freePort picks an unused loopback port.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
