// Package device assembles a complete Wasmbed device from its parts: the
// agent that talks to the gateway, the app runtime that runs modules, and
// the flash both keep their state in. The firmware binary (as a process or
// as PID 1 of a guest) and the harness's in-process fleet all build devices
// here, so every kind of device runs the same code.
package device

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"time"

	"github.com/wasmbed/wasmbed/firmware/agent"
	"github.com/wasmbed/wasmbed/firmware/apps"
	"github.com/wasmbed/wasmbed/firmware/flash"
	"github.com/wasmbed/wasmbed/sut/abi"
	"github.com/wasmbed/wasmbed/sut/protocol"
)

// Config describes a device.
type Config struct {
	Name       string
	Profile    agent.Profile
	Store      flash.Store
	Dial       func(ctx context.Context) (net.Conn, error)
	ServerName string
	Token      string
	Logger     *slog.Logger
	Events     func(agent.Event)
	Backoff    agent.Backoff
	// TickInterval is the apps' default tick period.
	TickInterval time.Duration
}

// Device is a running device.
type Device struct {
	Agent   *agent.Agent
	Apps    *apps.Manager
	publish chan publication
}

type publication struct {
	app, topic string
	data       []byte
}

// publishQueue bounds messages waiting to go upstream; apps publish from
// inside their calls and must never wait on the network.
const publishQueue = 256

// New builds the device and restores the apps installed in its flash, so
// they run again after a reboot before the device has even reached its
// gateway.
func New(ctx context.Context, cfg Config) (*Device, error) {
	logger := cfg.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	d := &Device{publish: make(chan publication, publishQueue)}
	var hooks agent.Hooks
	ac := agent.Config{
		Name: cfg.Name, Profile: cfg.Profile, Store: cfg.Store, Dial: cfg.Dial, ServerName: cfg.ServerName,
		Token: cfg.Token, Logger: logger, Events: cfg.Events, Backoff: cfg.Backoff,
		Runtime: func(h agent.Hooks) (agent.AppRuntime, error) {
			hooks = h
			m, err := apps.New(ctx, apps.Options{
				Store:       cfg.Store,
				Features:    cfg.Profile.WasmFeatures,
				Interpreter: cfg.Profile.Interpreter,
				Logger:      logger,
				OnChange: func(st apps.AppStatus) {
					if cfg.Events != nil {
						cfg.Events(agent.Event{Kind: agent.EventAppState, Time: time.Now(), Device: cfg.Name, App: st.Name, Reason: st.Reason, Message: string(st.State)})
					}
					if d.Apps != nil {
						h.ReportApps(apps.ProtocolStatuses(d.Apps.Statuses()))
					}
				},
				Publish: func(app, topic string, data []byte) {
					select {
					case d.publish <- publication{app, topic, append([]byte(nil), data...)}:
					default:
						logger.Warn("publish queue full; message dropped", "app", app, "topic", topic)
					}
				},
				VehicleCommand: h.VehicleCommand,
				Device:         apps.DeviceInfo{Name: cfg.Name, Arch: cfg.Profile.Arch, Profile: cfg.Profile.Name},
				TickInterval:   cfg.TickInterval,
			})
			if err != nil {
				return nil, err
			}
			d.Apps = m
			return runtime{m}, nil
		},
	}
	a, err := agent.New(ac)
	if err != nil {
		if d.Apps != nil {
			_ = d.Apps.Close(context.Background())
		}
		return nil, err
	}
	d.Agent = a
	go func() {
		for {
			select {
			case <-ctx.Done():
				return
			case p := <-d.publish:
				hooks.Publish(p.app, p.topic, p.data)
			}
		}
	}()
	if err := d.Apps.Restore(ctx); err != nil {
		logger.Warn("restoring installed apps", "err", err)
	}
	return d, nil
}

// Run runs the agent until ctx ends, then stops the apps.
func (d *Device) Run(ctx context.Context) error {
	err := d.Agent.Run(ctx)
	cctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if cerr := d.Apps.Close(cctx); cerr != nil && err == nil {
		err = fmt.Errorf("stopping apps: %w", cerr)
	}
	return err
}

// runtime adapts apps.Manager to the agent's AppRuntime.
type runtime struct{ m *apps.Manager }

func (r runtime) Install(ctx context.Context, d *protocol.Deploy, module []byte) error {
	spec, err := apps.SpecFromDeploy(d)
	if err == nil {
		err = r.m.Install(ctx, spec, module)
	}
	if err != nil {
		return &agent.InstallError{Reason: abi.ReasonOf(err), Err: err}
	}
	return nil
}

func (r runtime) Remove(ctx context.Context, name string) error { return r.m.Remove(ctx, name) }
func (r runtime) Deliver(topic string, data []byte)             { r.m.Deliver(topic, data) }
func (r runtime) Statuses() []protocol.AppStatus                { return apps.ProtocolStatuses(r.m.Statuses()) }
