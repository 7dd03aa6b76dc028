package scenarios

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/wasmbed/wasmbed/firmware/agent"
	"github.com/wasmbed/wasmbed/harness/env"
	wasmbedv1 "github.com/wasmbed/wasmbed/sut/api/v1alpha1"
)

// heartbeatWatch follows the legitimate devices from their own side: the
// in-process agents report every heartbeat ack and every session that
// ends or is refused. It answers what an attack cost them since mark.
type heartbeatWatch struct {
	mu     sync.Mutex
	legit  map[string]bool
	last   map[string]time.Time
	maxGap map[string]time.Duration // since mark
	ended  []string                 // since mark
}

func newHeartbeatWatch() *heartbeatWatch {
	return &heartbeatWatch{legit: map[string]bool{}, last: map[string]time.Time{}, maxGap: map[string]time.Duration{}}
}

// follow adds devices to the legitimate set.
func (w *heartbeatWatch) follow(names ...string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, n := range names {
		w.legit[n] = true
	}
}

// event is the in-process backend's event hook.
func (w *heartbeatWatch) event(e agent.Event) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.legit[e.Device] {
		return
	}
	switch e.Kind {
	case agent.EventHeartbeatAcked:
		if last, ok := w.last[e.Device]; ok {
			w.maxGap[e.Device] = max(w.maxGap[e.Device], e.Time.Sub(last))
		}
		w.last[e.Device] = e.Time
	case agent.EventDisconnected, agent.EventSessionRefused, agent.EventEnrollRefused:
		w.ended = append(w.ended, fmt.Sprintf("%s %s %s at %s", e.Device, e.Kind, e.Reason, e.Time.Format("15:04:05.000")))
	}
}

// mark starts a new observation window.
func (w *heartbeatWatch) mark() {
	w.mu.Lock()
	defer w.mu.Unlock()
	clear(w.maxGap)
	w.ended = nil
}

// worst returns the longest silence between heartbeat acks of any
// legitimate device since mark, counting each one's silence up to now,
// and the sessions that ended.
func (w *heartbeatWatch) worst(now time.Time) (device string, gap time.Duration, ended []string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for d := range w.legit {
		g := w.maxGap[d]
		last, ok := w.last[d]
		if !ok {
			return d, now.Sub(time.Time{}), append([]string(nil), w.ended...)
		}
		g = max(g, now.Sub(last))
		if g > gap {
			device, gap = d, g
		}
	}
	return device, gap, append([]string(nil), w.ended...)
}

// phaseWatch records every phase a legitimate Device passes through other
// than Connected, from a watch on the API server, so a transition between
// two polls is not missed.
type phaseWatch struct {
	mu     sync.Mutex
	legit  map[string]bool
	seen   []string
	cancel context.CancelFunc
	done   chan struct{}
}

func watchPhases(cfg *rest.Config, ns string, legit []string) (*phaseWatch, error) {
	wc, err := client.NewWithWatch(cfg, client.Options{Scheme: env.Scheme})
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	p := &phaseWatch{legit: map[string]bool{}, cancel: cancel, done: make(chan struct{})}
	for _, n := range legit {
		p.legit[n] = true
	}
	go func() {
		defer close(p.done)
		for ctx.Err() == nil {
			w, err := wc.Watch(ctx, &wasmbedv1.DeviceList{}, client.InNamespace(ns))
			if err != nil {
				select {
				case <-ctx.Done():
				case <-time.After(time.Second): // the API server refused the watch: retry
				}
				continue
			}
			for ev := range w.ResultChan() {
				d, ok := ev.Object.(*wasmbedv1.Device)
				if !ok || !p.legit[d.Name] {
					continue
				}
				if ev.Type == watch.Deleted || d.Status.Phase != wasmbedv1.DeviceConnected {
					p.mu.Lock()
					p.seen = append(p.seen, fmt.Sprintf("%s %s (%s) at %s", d.Name, d.Status.Phase, ev.Type, time.Now().Format("15:04:05.000")))
					p.mu.Unlock()
				}
			}
			w.Stop()
		}
	}()
	return p, nil
}

// departures returns the non-Connected phases seen so far, and forgets
// them.
func (p *phaseWatch) departures() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := p.seen
	p.seen = nil
	sort.Strings(out)
	return out
}

func (p *phaseWatch) stop() {
	p.cancel()
	<-p.done
}

// objectNames lists the namespace's Devices and Secrets as "Kind/name".
func objectNames(ctx context.Context, c client.Client, ns string) (map[string]bool, error) {
	out := map[string]bool{}
	var devs wasmbedv1.DeviceList
	if err := c.List(ctx, &devs, client.InNamespace(ns)); err != nil {
		return nil, err
	}
	for _, d := range devs.Items {
		out["Device/"+d.Name] = true
	}
	var secrets corev1.SecretList
	if err := c.List(ctx, &secrets, client.InNamespace(ns)); err != nil {
		return nil, err
	}
	for _, s := range secrets.Items {
		out["Secret/"+s.Name] = true
	}
	return out, nil
}
