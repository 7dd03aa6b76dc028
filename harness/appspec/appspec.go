// Package appspec builds Application objects from the fixture apps, with
// the capabilities each fixture needs, so specs and benchmarks say what
// they deploy in one line.
package appspec

import (
	"strconv"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	fixtures "github.com/wasmbed/wasmbed/fixtures/apps"
	wasmbedv1 "github.com/wasmbed/wasmbed/sut/api/v1alpha1"
)

// Options shape an Application.
type Options struct {
	// Devices names target devices.
	Devices []string
	// Selector selects target devices by label.
	Selector map[string]string
	// Tick sets the app's tick period (config wasmbed.tick_ms); 200 ms if
	// zero, so specs see progress quickly.
	Tick time.Duration
	// MaxExecution, MaxMemoryPages and MaxRestarts set limits when non-zero.
	MaxExecution   time.Duration
	MaxMemoryPages int32
	MaxRestarts    *int32
	// Capabilities replaces the fixture's own capabilities when set.
	Capabilities *wasmbedv1.AppCapabilities
	// Module overrides the module bytes (e.g. v2 of an update).
	Module []byte
}

// FromFixture builds an Application running fixture fx.
func FromFixture(ns, name string, fx fixtures.Name, o Options) *wasmbedv1.Application {
	f := fixtures.Get(fx)
	caps := wasmbedv1.AppCapabilities{
		Log: f.Capabilities.Log, Clock: f.Capabilities.Clock, KV: f.Capabilities.KV, WASI: f.Capabilities.WASI,
		Publish: f.Capabilities.Publish, Subscribe: f.Capabilities.Subscribe,
	}
	for _, c := range f.Capabilities.MAVLink {
		caps.MAVLink = append(caps.MAVLink, wasmbedv1.MAVLinkCommand(c))
	}
	if o.Capabilities != nil {
		caps = *o.Capabilities
	}
	tick := o.Tick
	if tick == 0 {
		tick = 200 * time.Millisecond
	}
	mod := o.Module
	if mod == nil {
		mod = fx.Wasm()
	}
	app := &wasmbedv1.Application{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: wasmbedv1.ApplicationSpec{
			Module:       wasmbedv1.ModuleSource{Inline: mod},
			Devices:      o.Devices,
			Capabilities: caps,
			Config:       map[string]string{"wasmbed.tick_ms": strconv.Itoa(int(tick.Milliseconds()))},
		},
	}
	if o.Selector != nil {
		app.Spec.Selector = &metav1.LabelSelector{MatchLabels: o.Selector}
	}
	if o.MaxExecution > 0 {
		app.Spec.Limits.MaxExecutionTime = &metav1.Duration{Duration: o.MaxExecution}
	}
	if o.MaxMemoryPages > 0 {
		app.Spec.Limits.MaxMemoryPages = o.MaxMemoryPages
	}
	app.Spec.Limits.MaxRestarts = o.MaxRestarts
	return app
}
