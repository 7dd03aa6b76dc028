package apps

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wasmbed/wasmbed/sut/abi"
)

// mailboxSize bounds the messages queued for one app; more are dropped.
// 16 × abi.MaxMessageBytes is the worst case an app can pin.
const mailboxSize = 16

// message is a pub/sub message queued for an app.
type message struct {
	topic string
	data  []byte // shared between apps: read-only
}

// app is one installed app: its spec, its compiled program, its state, and
// the goroutine that owns its instances. A refused install is an app with
// no program, kept only so its status can be reported.
type app struct {
	m    *Manager
	spec Spec
	prog *program
	log  *slog.Logger
	kv   *kvStore
	tick time.Duration
	// deviceInfo is the JSON device_info returns.
	deviceInfo []byte

	ctx     context.Context
	cancel  context.CancelFunc
	done    chan struct{}  // closed when run returns
	bg      sync.WaitGroup // vehicle command goroutines
	mailbox chan message

	vehicleSeq atomic.Int32
	inFlight   atomic.Int32
	memBytes   atomic.Uint64
	dropped    atomic.Uint64

	mu     sync.Mutex
	status AppStatus
}

// newApp prepares an app; start runs it.
func (m *Manager) newApp(spec Spec, prog *program, state State) *app {
	ctx, cancel := context.WithCancel(m.ctx)
	a := &app{
		m:       m,
		spec:    spec,
		prog:    prog,
		log:     m.log.With("app", spec.Name),
		tick:    m.opts.TickInterval,
		ctx:     ctx,
		cancel:  cancel,
		done:    make(chan struct{}),
		mailbox: make(chan message, mailboxSize),
		status:  AppStatus{Name: spec.Name, Digest: spec.Digest, State: state},
	}
	if d, err := spec.tickInterval(m.opts.TickInterval); err == nil {
		a.tick = d
	}
	a.deviceInfo, _ = json.Marshal(abi.DeviceInfo{
		Name: m.opts.Device.Name, Arch: m.opts.Device.Arch, Profile: m.opts.Device.Profile,
		App: spec.Name, Args: spec.Args,
	})
	return a
}

// refusedApp records an install that was refused, for its status.
func (m *Manager) refusedApp(spec Spec, err error) *app {
	a := m.newApp(spec, nil, StateFailed)
	a.status.Reason, a.status.LastError = abi.ReasonOf(err), errorMessage(err)
	a.cancel()
	close(a.done)
	return a
}

func errorMessage(err error) string {
	var e *abi.Error
	if errors.As(err, &e) {
		return e.Message
	}
	return err.Error()
}

// start loads the app's key-value store and starts its goroutine.
func (a *app) start() {
	kv, err := loadKV(a.m.opts.Store, kvPath(a.spec.Name))
	if err != nil {
		a.log.Error("key-value store unreadable; starting with an empty one", "error", err)
	}
	a.kv = kv
	go a.run()
}

// stop ends the app's goroutine and waits for it and its vehicle commands.
func (a *app) stop() {
	a.cancel()
	<-a.done
	a.bg.Wait()
}

// snapshot returns the app's current status.
func (a *app) snapshot() AppStatus {
	a.mu.Lock()
	defer a.mu.Unlock()
	s := a.status
	s.MemoryBytes = a.memBytes.Load()
	return s
}

// setStatus applies a change and reports it.
func (a *app) setStatus(change func(*AppStatus)) {
	a.mu.Lock()
	change(&a.status)
	s := a.status
	a.mu.Unlock()
	s.MemoryBytes = a.memBytes.Load()
	a.m.notify.push(s)
}

func (a *app) state() State {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.status.State
}

// run is the app's goroutine: it runs instances until the app is stopped,
// fails for good, or completes, restarting them as the policy says.
func (a *app) run() {
	defer close(a.done)
	var failures uint32 // failures restarted so far; bounded by MaxRestarts
	streak := 0         // restarts since the last run that lasted Backoff.Max
	for {
		began := time.Now()
		err := a.runOnce()
		if errors.Is(err, errStopped) || a.ctx.Err() != nil {
			return
		}
		var fail *abi.Error
		if errors.Is(err, errCompleted) {
			a.log.Info("app completed")
			if a.spec.RestartPolicy != RestartAlways {
				a.setStatus(func(s *AppStatus) { s.State = StateStopped })
				return
			}
		} else {
			if !errors.As(err, &fail) {
				fail = &abi.Error{App: a.spec.Name, Reason: abi.ReasonTrap, Message: err.Error(), Err: err}
			}
			switch {
			case fail.Permanent, a.spec.RestartPolicy == RestartNever, failures >= a.spec.Limits.MaxRestarts:
				a.log.Error("app failed", "reason", fail.Reason, "error", fail.Message, "restarts", failures)
				a.setStatus(func(s *AppStatus) { s.State, s.Reason, s.LastError = StateFailed, fail.Reason, fail.Message })
				return
			}
			failures++
			a.log.Warn("app failed; restarting", "reason", fail.Reason, "error", fail.Message, "restart", failures)
		}

		if time.Since(began) >= a.m.opts.Backoff.Max {
			streak = 0
		}
		delay := a.m.opts.Backoff.delay(streak)
		streak++
		a.setStatus(func(s *AppStatus) {
			s.State = StateBackoff
			s.Restarts++
			if fail != nil {
				s.Reason, s.LastError = fail.Reason, fail.Message
			}
		})
		t := time.NewTimer(delay)
		select {
		case <-a.ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}

// runOnce runs one instance: instantiate, start up, then tick and deliver
// messages until it fails, completes, or the app is stopped.
func (a *app) runOnce() error {
	in, err := a.instantiate()
	if err != nil {
		return err
	}
	defer in.close()
	if err := in.startup(); err != nil {
		return err
	}
	if in.tick == nil && in.onMessage == nil {
		return errCompleted
	}
	a.setStatus(func(s *AppStatus) { s.State = StateRunning })
	a.log.Info("app running", "digest", a.spec.Digest, "memory_bytes", a.memBytes.Load())

	var ticks <-chan time.Time
	if in.tick != nil {
		t := time.NewTicker(a.tick)
		defer t.Stop()
		ticks = t.C
	}
	for {
		select {
		case <-a.ctx.Done():
			return errStopped
		case <-ticks:
			if _, err := in.call(abi.ExportTick, in.tick); err != nil {
				return err
			}
		case msg := <-a.mailbox:
			if err := in.deliver(msg); err != nil {
				return err
			}
		}
	}
}

// accepts reports whether a delivery on topic is for this app.
func (a *app) accepts(topic string) bool {
	if a.prog == nil || !a.prog.onMessage || !abi.AnyTopicMatches(a.spec.Capabilities.Subscribe, topic) {
		return false
	}
	switch a.state() {
	case StateFailed, StateStopped:
		return false
	}
	return true
}

// enqueue queues a message without blocking; a full mailbox drops it.
func (a *app) enqueue(msg message) bool {
	select {
	case a.mailbox <- msg:
		return true
	default:
		if n := a.dropped.Add(1); n&(n-1) == 0 { // log the 1st, 2nd, 4th, 8th... drop
			a.log.Warn("mailbox full: message dropped", "topic", msg.topic, "dropped", n)
		}
		return false
	}
}

// publish implements wasmbed.publish once the arguments are read.
func (a *app) publish(topic string, data []byte) int32 {
	if err := abi.ValidTopic(topic); err != nil {
		a.log.Warn("publish refused", "topic", topic, "error", err)
		return abi.ErrInvalidArgument
	}
	if !abi.AnyTopicMatches(a.spec.Capabilities.Publish, topic) {
		a.log.Warn("publish refused: the Application may not publish to this topic", "topic", topic, "allowed", a.spec.Capabilities.Publish)
		return abi.ErrNotPermitted
	}
	if a.m.opts.Publish == nil {
		return abi.ErrUnavailable
	}
	a.m.opts.Publish(a.spec.Name, topic, append([]byte(nil), data...))
	return abi.OK
}

// kvResult maps a key-value store error to its ABI code.
func (a *app) kvResult(err error) int32 {
	switch {
	case err == nil:
		return abi.OK
	case errors.Is(err, errKVQuota):
		return abi.ErrQuotaExceeded
	case errors.Is(err, errKVNotFound):
		return abi.ErrNotFound
	}
	a.log.Error("key-value store write failed", "error", err)
	return abi.ErrIO
}
