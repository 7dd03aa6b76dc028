package prometheus

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/wasmbed/wasmbed/harness/env"
	"github.com/wasmbed/wasmbed/harness/sutproc"
	wasmbedv1 "github.com/wasmbed/wasmbed/sut/api/v1alpha1"
)

// followEvery is how often ScrapeSystem looks for a restarted component's
// new metrics address (it reads the process's READY line, in memory).
const followEvery = 250 * time.Millisecond

// ScrapeSystem registers every gateway and controller of a spec's SUT as
// scrape targets — gateways as job wasmbed-gateway with labels namespace
// and gateway, controllers as job wasmbed-controller with label namespace
// (their own series carry the namespace and gateway of the objects they
// describe) — and keeps them current: a component restarted on a new port
// is followed there, and one that is down stays registered, so its target
// is down (up == 0) rather than gone. Call it after sutproc.Start; the
// targets are removed when the Env closes, before the SUT stops.
func ScrapeSystem(ctx context.Context, t *Targets, e *env.Env, sys *sutproc.System) error {
	names, err := gatewayNames(ctx, e)
	if err != nil {
		return err
	}
	type tracked struct {
		id   string
		comp *sutproc.Component
		tg   Target
	}
	var all []tracked
	for _, g := range sys.Gateways() {
		name, ok := names[g.Addr]
		if !ok {
			return fmt.Errorf("no Gateway in %s has the endpoint %s of %s", e.Namespace, g.Addr, g.Name)
		}
		all = append(all, tracked{e.Namespace + "." + g.Name, g.Component,
			Target{Job: JobGateway, Labels: map[string]string{"namespace": e.Namespace, "gateway": name}}})
	}
	for _, c := range sys.Controllers {
		all = append(all, tracked{e.Namespace + "." + c.Name, c,
			Target{Job: JobController, Labels: map[string]string{"namespace": e.Namespace}}})
	}

	var (
		mu      sync.Mutex
		errs    []error
		written = map[string]string{} // id → the address registered
	)
	follow := func() error {
		for _, tr := range all {
			addr := tr.comp.MetricsAddr()
			if addr == "" || written[tr.id] == addr {
				continue // not reported yet, or unchanged
			}
			tg := tr.tg
			tg.Addr = addr
			if err := t.Set(tr.id, tg); err != nil {
				return err
			}
			written[tr.id] = addr
		}
		return nil
	}
	if err := follow(); err != nil {
		return err
	}
	fctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(followEvery)
		defer tick.Stop()
		for {
			select {
			case <-fctx.Done():
				return
			case <-tick.C:
				if err := follow(); err != nil {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
				}
			}
		}
	}()
	e.Defer("stop scraping the SUT of "+e.Namespace, func(context.Context) error {
		cancel()
		<-done
		for _, tr := range all {
			if err := t.Remove(tr.id); err != nil {
				errs = append(errs, err)
			}
		}
		return errors.Join(errs...)
	})
	return nil
}

// gatewayNames maps each Gateway's endpoint to its name: sutproc gives
// every gateway its own endpoint, and the Gateway object is what names it.
func gatewayNames(ctx context.Context, e *env.Env) (map[string]string, error) {
	var gws wasmbedv1.GatewayList
	if err := e.Client.List(ctx, &gws, client.InNamespace(e.Namespace)); err != nil {
		return nil, fmt.Errorf("list Gateways in %s: %w", e.Namespace, err)
	}
	m := make(map[string]string, len(gws.Items))
	for _, g := range gws.Items {
		m[g.Spec.Endpoint] = g.Name
	}
	return m, nil
}
