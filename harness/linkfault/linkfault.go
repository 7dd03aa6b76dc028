// Package linkfault puts a TCP proxy between each device and its gateway,
// built on toxiproxy's Go library and run inside the harness process, so a
// spec can cut, blackhole, slow or reset one device's link while every
// other device keeps its own.
//
// The distinction between faults matters to the SUT: a cut closes both
// sides (the gateway sees EOF at once), a blackhole silently drops bytes
// with no FIN (only the heartbeat timeout can notice), a reset sends RST.
package linkfault

import (
	"context"
	"fmt"
	"strings"
	"sync"

	toxiproxy "github.com/Shopify/toxiproxy/v2"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"
)

// Proxies owns the links of one Env.
type Proxies struct {
	server  *toxiproxy.ApiServer
	mu      sync.Mutex
	links   []*Link
	onFault func(link, fault string)
}

// OnFault makes every link tell f of each fault it injects or heals,
// with the link's name and the fault ("cut", "restore", "blackhole",
// "latency 200ms", "reset", "clear"), as it happens: the testbed records
// them on the spec's timeline. Set it before adding links.
func (p *Proxies) OnFault(f func(link, fault string)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.onFault = f
}

// New returns an empty set of links.
func New() *Proxies {
	return &Proxies{server: toxiproxy.NewServer(toxiproxy.NewMetricsContainer(prometheus.NewRegistry()), zerolog.Nop())}
}

// Link is one device's proxied connection to its gateway.
type Link struct {
	// Addr is where the device should dial instead of the gateway.
	Addr    string
	name    string
	proxy   *toxiproxy.Proxy
	onFault func(link, fault string)
	mu      sync.Mutex
	up      bool
}

func (l *Link) note(fault string) {
	if l.onFault != nil {
		l.onFault(l.name, fault)
	}
}

// Add starts a link to upstream on a free loopback port.
func (p *Proxies) Add(name, upstream string) (*Link, error) {
	px := toxiproxy.NewProxy(p.server, name, "127.0.0.1:0", upstream)
	if err := px.Start(); err != nil {
		return nil, fmt.Errorf("link %s: %w", name, err)
	}
	p.mu.Lock()
	l := &Link{Addr: px.Listen, name: name, proxy: px, onFault: p.onFault, up: true}
	p.links = append(p.links, l)
	p.mu.Unlock()
	return l, nil
}

// Cut closes every connection through the link and refuses new ones, as a
// pulled cable with an attentive TCP stack would: both ends see EOF.
func (l *Link) Cut() {
	if l.stop() {
		l.note("cut")
	}
}

// stop closes the link and reports whether it was up.
func (l *Link) stop() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.up {
		return false
	}
	l.proxy.Stop()
	l.up = false
	return true
}

// Restore accepts connections again on the same address.
func (l *Link) Restore() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.up {
		return nil
	}
	if err := l.proxy.Start(); err != nil {
		return err
	}
	l.up = true
	l.note("restore")
	return nil
}

// Blackhole drops every byte in both directions and never passes a close
// on: each side keeps a half-open connection that never sees FIN.
func (l *Link) Blackhole() error {
	for _, dir := range []string{"upstream", "downstream"} {
		if err := l.addToxic(fmt.Sprintf(`{"name":"blackhole-%s","type":"wasmbed_halfopen","stream":"%s"}`, dir, dir)); err != nil {
			return err
		}
	}
	l.note("blackhole")
	return nil
}

// Latency delays every chunk by ms milliseconds each way.
func (l *Link) Latency(ms int) error {
	for _, dir := range []string{"upstream", "downstream"} {
		if err := l.addToxic(fmt.Sprintf(`{"name":"latency-%s","type":"latency","stream":"%s","attributes":{"latency":%d}}`, dir, dir, ms)); err != nil {
			return err
		}
	}
	l.note(fmt.Sprintf("latency %dms", ms))
	return nil
}

// Reset tears connections down with a TCP RST.
func (l *Link) Reset() error {
	if err := l.addToxic(`{"name":"reset","type":"reset_peer","stream":"upstream","attributes":{"timeout":0}}`); err != nil {
		return err
	}
	l.note("reset")
	return nil
}

// Clear removes every toxic; the link behaves normally again.
func (l *Link) Clear() {
	l.proxy.Toxics.ResetToxics(context.Background())
	l.note("clear")
}

func (l *Link) addToxic(js string) error {
	_, err := l.proxy.Toxics.AddToxicJson(strings.NewReader(js))
	return err
}

// Close stops every link.
func (p *Proxies) Close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, l := range p.links {
		l.stop() // teardown, not a fault: not noted
	}
	p.links = nil
}
