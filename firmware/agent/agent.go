package agent

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wasmbed/wasmbed/firmware/flash"
	"github.com/wasmbed/wasmbed/sut/protocol"
	"github.com/wasmbed/wasmbed/sut/refusal"
)

// FirmwareVersion is reported to the gateway.
const FirmwareVersion = "wasmbed-firmware/0.1.0"

// Config configures an Agent.
type Config struct {
	// Name is the device name to ask for at token enrolment, and a label
	// for logs. The gateway's answer is authoritative.
	Name string
	// Profile describes the hardware.
	Profile Profile
	// Store is the device's flash.
	Store flash.Store
	// Dial opens a byte stream to the gateway: TCP for process devices, a
	// serial-link session for QEMU guests.
	Dial func(ctx context.Context) (net.Conn, error)
	// ServerName is the name to verify in the gateway's certificate.
	// Defaults to "wasmbed-gateway", which every gateway certificate has.
	ServerName string
	// Token overrides the enrolment token stored in flash.
	Token string
	// Runtime builds the app runtime that runs deployed modules, given the
	// hooks through which apps reach the agent. Nil refuses deploys.
	Runtime func(Hooks) (AppRuntime, error)
	// Logger receives structured logs; nil discards them.
	Logger *slog.Logger
	// Events, if set, observes what happens (called synchronously; keep it
	// fast).
	Events func(Event)
	// Backoff paces reconnection.
	Backoff Backoff
	// HandshakeTimeout bounds the TLS handshake and the first answer.
	HandshakeTimeout time.Duration
}

// Agent is one device.
type Agent struct {
	cfg   Config
	log   *slog.Logger
	id    *identity
	rnd   *rand.Rand
	boot  time.Time
	name  atomic.Value // string: the gateway-assigned name once known
	state atomic.Value // string: what the agent is doing, for status

	sessMu sync.Mutex
	sess   *sessionConn // the live session, if any

	apps      AppRuntime
	uploadsMu sync.Mutex
	uploads   map[string]*upload // modules being received, by app
	vehicle   vehicleCalls
}

// New prepares an agent: it loads (or on first boot generates) the device
// key from flash.
func New(cfg Config) (*Agent, error) {
	if cfg.Store == nil || cfg.Dial == nil {
		return nil, errors.New("agent: Store and Dial are required")
	}
	if cfg.ServerName == "" {
		cfg.ServerName = "wasmbed-gateway"
	}
	if cfg.HandshakeTimeout == 0 {
		cfg.HandshakeTimeout = 10 * time.Second
	}
	if cfg.Profile.Name == "" {
		cfg.Profile = Profiles["process"]
	}
	logger := cfg.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	id, err := loadIdentity(cfg.Store)
	if err != nil {
		return nil, fmt.Errorf("agent: %w", err)
	}
	a := &Agent{cfg: cfg, log: logger, id: id, rnd: rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64())), boot: time.Now(), uploads: map[string]*upload{}}
	a.name.Store(cfg.Name)
	a.state.Store("starting")
	if cfg.Runtime != nil {
		if a.apps, err = cfg.Runtime(a.hooks()); err != nil {
			return nil, fmt.Errorf("agent: app runtime: %w", err)
		}
	}
	return a, nil
}

// Name is the device's name: the configured one until the gateway assigns one.
func (a *Agent) Name() string { return a.name.Load().(string) }

// Enrolled reports whether the device holds a certificate.
func (a *Agent) Enrolled() bool { return a.id.cert != nil }

// Run enrols if needed, then keeps a session up until ctx ends, backing off
// between attempts. It returns only when ctx is done.
func (a *Agent) Run(ctx context.Context) error {
	attempt := 0
	for ctx.Err() == nil {
		var err error
		healthy := false
		if a.id.cert == nil {
			a.state.Store("enrolling")
			err = a.enroll(ctx)
			healthy = err == nil
		} else {
			a.state.Store("connecting")
			healthy, err = a.session(ctx)
		}
		if ctx.Err() != nil {
			break
		}
		if healthy {
			attempt = 0
			if err == nil {
				continue // enrolled: connect at once
			}
		}
		var r *Refusal
		if errors.As(err, &r) && r.forgetsCertificate() {
			a.log.Warn("gateway no longer accepts this certificate; re-enrolling", "reason", r.Reason)
			a.id.forget(a.cfg.Store)
		}
		d := a.cfg.Backoff.Delay(attempt, a.rnd)
		attempt++
		a.state.Store("backoff")
		a.log.Info("retrying", "in", d.Round(time.Millisecond), "attempt", attempt)
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
		case <-t.C:
		}
	}
	return nil
}

func (a *Agent) emit(e Event) {
	if a.cfg.Events == nil {
		return
	}
	e.Time = time.Now()
	e.Device = a.Name()
	a.cfg.Events(e)
}

// Refusal is a refusal by the gateway, with its stable reason code.
type Refusal struct {
	Reason  refusal.Reason
	Message string
}

func (r *Refusal) Error() string { return "refused: " + string(r.Reason) + ": " + r.Message }

// forgetsCertificate: reasons after which the certificate is useless.
func (r *Refusal) forgetsCertificate() bool {
	switch r.Reason {
	case protocol.ReasonNotEnrolled, refusal.ReasonUnknownDevice, refusal.ReasonSupersededCert, refusal.ReasonCertRevoked,
		refusal.ReasonCertExpired, refusal.ReasonUnknownAuthority:
		return true
	}
	return false
}

func (a *Agent) health() protocol.DeviceHealth {
	used := uint64(0)
	if a.apps != nil {
		for _, s := range a.apps.Statuses() {
			used += s.MemoryBytes
		}
	}
	free := uint64(0)
	if a.cfg.Profile.MemoryBytes > used {
		free = a.cfg.Profile.MemoryBytes - used
	}
	return protocol.DeviceHealth{UptimeMs: uint64(time.Since(a.boot).Milliseconds()), FreeMemoryBytes: free}
}

func (a *Agent) info() protocol.DeviceInfo {
	return protocol.DeviceInfo{
		Arch:         a.cfg.Profile.Arch,
		Profile:      a.cfg.Profile.Name,
		Firmware:     FirmwareVersion,
		MemoryBytes:  a.cfg.Profile.MemoryBytes,
		WasmFeatures: a.cfg.Profile.WasmFeatures,
	}
}
