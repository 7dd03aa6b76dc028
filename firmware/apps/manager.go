package apps

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"sync"
	"time"

	"github.com/wasmbed/wasmbed/sut/abi"
)

// Manager runs a device's apps. Its methods are safe for concurrent use;
// Install, Remove, Restore and Close are serialised.
type Manager struct {
	opts   Options
	log    *slog.Logger
	engine *engine
	notify *notifier
	boot   time.Time // clock_ms counts from here

	ctx    context.Context // parent of every app's context
	cancel context.CancelFunc

	ops    sync.Mutex // serialises Install, Remove, Restore and Close
	mu     sync.RWMutex
	apps   map[string]*app
	closed bool
}

// New creates a device's runtime. It does not start installed apps: call
// Restore for that once the agent is ready for their status changes.
func New(ctx context.Context, o Options) (*Manager, error) {
	if o.Store == nil {
		return nil, errors.New("apps: Options.Store is required")
	}
	o = o.withDefaults()
	e, err := newEngine(ctx, o)
	if err != nil {
		return nil, err
	}
	m := &Manager{
		opts:   o,
		log:    o.Logger,
		engine: e,
		notify: newNotifier(o.OnChange),
		boot:   time.Now(),
		apps:   map[string]*app{},
	}
	m.ctx, m.cancel = context.WithCancel(context.WithoutCancel(ctx))
	return m, nil
}

func (m *Manager) lookup(name string) *app {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.apps[name]
}

func (m *Manager) set(a *app) {
	m.mu.Lock()
	m.apps[a.spec.Name] = a
	m.mu.Unlock()
}

// Install validates module against spec, persists both atomically and
// starts the app, replacing a running app of the same name (its key-value
// store is kept). It returns once the app is started; how it then runs is
// reported through OnChange and Statuses.
//
// A refused install returns an *abi.Error whose Reason (InvalidSpec,
// InvalidModule, UnknownImport, ImportNotGranted, MemoryLimit,
// StorageError) the agent reports in its DeployResult; an app already
// running under that name keeps running. Installing the spec and module an
// app already runs is a no-op.
func (m *Manager) Install(ctx context.Context, spec Spec, module []byte) error {
	m.ops.Lock()
	defer m.ops.Unlock()
	if m.closed {
		return ErrClosed
	}
	spec = spec.withDefaults()
	old := m.lookup(spec.Name)
	if err := spec.Validate(); err != nil {
		return m.refuse(spec, old, err)
	}
	if old != nil && old.prog != nil && old.spec.equal(spec) {
		switch old.state() {
		case StateFailed, StateStopped: // reinstalling means "try again"
		default:
			return nil
		}
	}
	prog, err := m.engine.compile(ctx, spec, module)
	if err != nil {
		return m.refuse(spec, old, err)
	}
	oldDigest := ""
	if old != nil && old.prog != nil {
		oldDigest = old.spec.Digest
	}
	if err := persist(m.opts.Store, spec, module, oldDigest, m.log); err != nil {
		prog.close(ctx)
		return m.refuse(spec, old, &abi.Error{App: spec.Name, Reason: abi.ReasonStorage, Err: err,
			Message: fmt.Sprintf("could not persist the app to flash: %v", err)})
	}
	if old != nil {
		old.stop()
		old.prog.close(ctx)
	}
	a := m.newApp(spec, prog, StateInstalling)
	m.set(a)
	m.notify.push(a.snapshot())
	a.log.Info("app installed", "digest", spec.Digest, "bytes", len(module), "replaces", oldDigest)
	a.start()
	return nil
}

// refuse reports a refused install. An app running under the name keeps
// running; otherwise the name shows as Failed with the reason, until it is
// installed successfully or removed.
func (m *Manager) refuse(spec Spec, old *app, err error) error {
	m.log.Warn("install refused", "app", spec.Name, "reason", abi.ReasonOf(err), "error", errorMessage(err))
	if old != nil && old.prog != nil {
		return err
	}
	a := m.refusedApp(spec, err)
	m.set(a)
	m.notify.push(a.snapshot())
	return err
}

// Remove stops an app and deletes it, its module and its key-value store
// from flash. OnChange sees it Stopped last. Removing an unknown app only
// cleans up flash.
func (m *Manager) Remove(ctx context.Context, name string) error {
	m.ops.Lock()
	defer m.ops.Unlock()
	if m.closed {
		return ErrClosed
	}
	a := m.lookup(name)
	if a != nil {
		a.stop()
		a.prog.close(ctx)
		m.mu.Lock()
		delete(m.apps, name)
		m.mu.Unlock()
	}
	err := unpersist(m.opts.Store, name)
	if a != nil {
		a.setStatus(func(s *AppStatus) { s.State = StateStopped })
		a.log.Info("app removed")
	}
	if err != nil {
		return &abi.Error{App: name, Reason: abi.ReasonStorage, Err: err, Message: fmt.Sprintf("could not delete the app from flash: %v", err)}
	}
	return nil
}

// Restore starts every app installed in flash, as after a reboot, and
// deletes the leftovers of installs and removals a power cut interrupted.
// Apps already running with the same spec are left alone. An app that no
// longer passes the checks (e.g. after a firmware change) shows as Failed;
// the error returned covers only flash problems.
func (m *Manager) Restore(ctx context.Context) error {
	m.ops.Lock()
	defer m.ops.Unlock()
	if m.closed {
		return ErrClosed
	}
	found, err := loadInstalled(m.opts.Store, m.log)
	for _, inst := range found {
		old := m.lookup(inst.spec.Name)
		if old != nil && old.prog != nil && old.spec.equal(inst.spec) {
			continue
		}
		prog, cerr := m.engine.compile(ctx, inst.spec, inst.module)
		if cerr != nil {
			m.log.Error("installed app no longer passes the checks", "app", inst.spec.Name, "reason", abi.ReasonOf(cerr), "error", errorMessage(cerr))
			m.refuse(inst.spec, old, cerr)
			continue
		}
		if old != nil {
			old.stop()
			old.prog.close(ctx)
		}
		a := m.newApp(inst.spec, prog, StatePending)
		m.set(a)
		m.notify.push(a.snapshot())
		a.log.Info("app restored", "digest", inst.spec.Digest)
		a.start()
	}
	if err != nil {
		return fmt.Errorf("apps: restore: %w", err)
	}
	return nil
}

// Deliver queues a pub/sub message for every app whose subscriptions match
// topic (see abi.TopicMatches) and returns how many. It never blocks: an
// app whose mailbox is full misses the message.
func (m *Manager) Deliver(topic string, data []byte) int {
	if err := abi.ValidTopic(topic); err != nil || len(data) > abi.MaxMessageBytes {
		m.log.Warn("delivery refused", "topic", topic, "bytes", len(data), "error", err)
		return 0
	}
	msg := message{topic: topic, data: append([]byte(nil), data...)}
	m.mu.RLock()
	defer m.mu.RUnlock()
	n := 0
	for _, a := range m.apps {
		if a.accepts(topic) && a.enqueue(msg) {
			n++
		}
	}
	return n
}

// Statuses returns every app's status, sorted by name.
func (m *Manager) Statuses() []AppStatus {
	m.mu.RLock()
	out := make([]AppStatus, 0, len(m.apps))
	for _, a := range m.apps {
		out = append(out, a.snapshot())
	}
	m.mu.RUnlock()
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Close stops every app, aborting calls in progress, waits for them, and
// closes the runtime. The apps stay installed, so they are not reported
// Stopped; Restore starts them again on the next boot. Pending OnChange
// calls are made before Close returns. If ctx ends first, Close returns its
// error and the apps finish stopping in the background.
func (m *Manager) Close(ctx context.Context) error {
	m.ops.Lock()
	if m.closed {
		m.ops.Unlock()
		return nil
	}
	m.closed = true
	m.cancel()
	m.mu.RLock()
	all := make([]*app, 0, len(m.apps))
	for _, a := range m.apps {
		all = append(all, a)
	}
	m.mu.RUnlock()

	stopped := make(chan struct{})
	go func() {
		for _, a := range all {
			a.stop()
		}
		close(stopped)
	}()
	select {
	case <-stopped:
	case <-ctx.Done():
		m.ops.Unlock()
		return fmt.Errorf("apps: close: %w", ctx.Err())
	}
	err := m.engine.close(ctx)
	// Unlocked before draining: an OnChange that calls Install or Remove
	// gets ErrClosed instead of deadlocking.
	m.ops.Unlock()
	m.notify.close()
	return err
}
