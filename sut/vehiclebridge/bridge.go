package vehiclebridge

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	toolscache "k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/wasmbed/wasmbed/sut/abi"
	wasmbedv1 "github.com/wasmbed/wasmbed/sut/api/v1alpha1"
	"github.com/wasmbed/wasmbed/sut/protocol"
	"github.com/wasmbed/wasmbed/sut/refusal"
)

const (
	bridgeResync = 5 * time.Second
	outboxLength = 256
	// subsTTL bounds how stale a device's subscription list may be.
	subsTTL = time.Second
	// failsafeTimeout bounds the commanding of one failsafe.
	failsafeTimeout = 15 * time.Second
)

// Bridge owns the vehicle links of a gateway.
type Bridge struct {
	opts Options
	log  *slog.Logger
	m    *metrics

	notes   *appNotes
	limiter *commandLimiter

	recMu   sync.Mutex // serialises reconcile
	mu      sync.Mutex
	entries map[string]*vehicleEntry // by device
	dialErr map[string]string        // last error opening a device's link
	subsGen uint64                   // bumped on every Application change
	closed  bool

	ctx    context.Context // ends when the bridge closes
	cancel context.CancelFunc
	wg     sync.WaitGroup // resync and failsafe goroutines
}

// vehicleEntry is one device's link and its delivery queue.
type vehicleEntry struct {
	device   string
	endpoint string
	sysid    uint8
	link     *vehicleLink
	outbox   chan telemetrySample
	done     chan struct{}

	subsMu  sync.Mutex
	subs    []string
	subsAt  time.Time
	subsGen uint64
}

// New returns a bridge with no links; Start opens them.
func New(opts Options) *Bridge {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Bridge{
		opts:    opts,
		log:     opts.Logger.With("component", "mavlink"),
		m:       newMetrics(opts.Registry),
		notes:   newAppNotes(),
		limiter: newCommandLimiter(),
		entries: map[string]*vehicleEntry{},
		dialErr: map[string]string{},
		ctx:     ctx,
		cancel:  cancel,
	}
}

// Start follows Devices and Applications from the informers and resyncs
// periodically until ctx ends or the bridge closes.
func (b *Bridge) Start(ctx context.Context) error {
	c := b.opts.Informers
	devInf, err := c.GetInformer(ctx, &wasmbedv1.Device{})
	if err != nil {
		return err
	}
	if _, err := devInf.AddEventHandler(toolscache.ResourceEventHandlerFuncs{
		AddFunc:    func(o any) { b.onDevice(o) },
		UpdateFunc: func(_, o any) { b.onDevice(o) },
		DeleteFunc: func(o any) {
			if t, ok := o.(toolscache.DeletedFinalStateUnknown); ok {
				o = t.Obj
			}
			if d, ok := o.(*wasmbedv1.Device); ok {
				b.reconcile(d.Name, nil)
				b.notes.forgetDevice(d.Name)
			}
		},
	}); err != nil {
		return err
	}
	appInf, err := c.GetInformer(ctx, &wasmbedv1.Application{})
	if err != nil {
		return err
	}
	bump := func(any) {
		b.mu.Lock()
		b.subsGen++
		b.mu.Unlock()
	}
	if _, err := appInf.AddEventHandler(toolscache.ResourceEventHandlerFuncs{
		AddFunc: bump, UpdateFunc: func(_, o any) { bump(o) }, DeleteFunc: bump,
	}); err != nil {
		return err
	}
	b.wg.Add(1)
	go func() {
		defer b.wg.Done()
		t := time.NewTicker(bridgeResync)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-b.ctx.Done():
				return
			case <-t.C:
				b.resync(ctx)
			}
		}
	}()
	return nil
}

// Close ends every link and waits for the bridge's goroutines.
func (b *Bridge) Close() {
	b.mu.Lock()
	b.closed = true
	entries := b.entries
	b.entries = map[string]*vehicleEntry{}
	b.mu.Unlock()
	b.cancel()
	for _, e := range entries {
		b.stopEntry(e)
	}
	b.wg.Wait()
}

func (b *Bridge) onDevice(o any) {
	if d, ok := o.(*wasmbedv1.Device); ok {
		b.reconcile(d.Name, d)
	}
}

// resync reconciles every Device in the cache, and drops links of Devices
// that are gone.
func (b *Bridge) resync(ctx context.Context) {
	var list wasmbedv1.DeviceList
	if err := b.opts.Reader.List(ctx, &list, client.InNamespace(b.opts.Namespace)); err != nil {
		return
	}
	seen := map[string]bool{}
	for i := range list.Items {
		seen[list.Items[i].Name] = true
		b.reconcile(list.Items[i].Name, &list.Items[i])
	}
	b.mu.Lock()
	var gone []string
	for name := range b.entries {
		if !seen[name] {
			gone = append(gone, name)
		}
	}
	b.mu.Unlock()
	for _, name := range gone {
		b.reconcile(name, nil)
	}
}

// serves reports whether this gateway flies d's vehicle.
func (b *Bridge) serves(d *wasmbedv1.Device) bool {
	if b.opts.Sessions.Connected(d.Name) {
		return true
	}
	if ref := d.Spec.GatewayRef; ref != nil {
		return ref.Name == b.opts.Gateway
	}
	return d.Status.Gateway == b.opts.Gateway
}

// reconcile opens, replaces or closes the link of device name so that it
// matches d (nil: the Device is gone).
func (b *Bridge) reconcile(name string, d *wasmbedv1.Device) {
	b.recMu.Lock()
	defer b.recMu.Unlock()
	var endpoint string
	var sysid uint8
	want := d != nil && d.DeletionTimestamp.IsZero() && d.Spec.Capabilities.MAVLink != nil && b.serves(d)
	if want {
		endpoint, sysid = d.Spec.Capabilities.MAVLink.Endpoint, uint8(d.Spec.Capabilities.MAVLink.SystemID)
	}
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return
	}
	cur := b.entries[name]
	if cur != nil && want && cur.endpoint == endpoint && cur.sysid == sysid {
		b.mu.Unlock()
		return
	}
	delete(b.entries, name)
	b.mu.Unlock()
	if cur != nil {
		b.stopEntry(cur)
		b.log.Info("vehicle link closed", "device", name, "endpoint", cur.endpoint, "sysid", cur.sysid)
	}
	if !want {
		return
	}
	e, err := b.startEntry(name, endpoint, sysid)
	b.mu.Lock()
	if err != nil {
		report := b.dialErr[name] != err.Error()
		b.dialErr[name] = err.Error()
		b.mu.Unlock()
		if report {
			b.log.Warn("cannot open vehicle link; retrying at the next resync", "device", name, "err", err)
		}
		return
	}
	delete(b.dialErr, name)
	closed := b.closed
	if !closed {
		b.entries[name] = e
	}
	b.mu.Unlock()
	if closed {
		b.stopEntry(e) // the gateway shut down meanwhile
		return
	}
	b.log.Info("vehicle link opened", "device", name, "endpoint", endpoint, "sysid", sysid)
}

func (b *Bridge) startEntry(device, endpoint string, sysid uint8) (*vehicleEntry, error) {
	e := &vehicleEntry{device: device, endpoint: endpoint, sysid: sysid,
		outbox: make(chan telemetrySample, outboxLength), done: make(chan struct{})}
	link, err := startVehicleLink(linkConfig{
		device: device, endpoint: endpoint, sysid: sysid,
		deliver: func(topic string, payload []byte) { b.enqueue(e, topic, payload) },
		log:     b.log, metrics: b.m,
	})
	if err != nil {
		return nil, err
	}
	e.link = link
	b.m.links.Inc()
	go b.drain(e)
	return e, nil
}

// stopEntry closes the link, then the queue, and waits for the queue to
// drain.
func (b *Bridge) stopEntry(e *vehicleEntry) {
	e.link.close()
	close(e.outbox)
	<-e.done
	b.m.links.Dec()
}

func (b *Bridge) entry(device string) *vehicleEntry {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.entries[device]
}

// enqueue hands a telemetry sample to the device's queue; it never blocks
// the link.
func (b *Bridge) enqueue(e *vehicleEntry, topic string, payload []byte) {
	select {
	case e.outbox <- telemetrySample{topic: topic, payload: payload}:
	default:
		b.m.telemetryDrops.WithLabelValues("queue_full").Inc()
	}
}

// drain sends queued telemetry to the device's current session: its own,
// never another device's.
func (b *Bridge) drain(e *vehicleEntry) {
	defer close(e.done)
	for s := range e.outbox {
		if !b.opts.Sessions.Connected(e.device) {
			b.m.telemetryDrops.WithLabelValues("no_session").Inc()
			continue
		}
		if !b.subscribed(e, s.topic) {
			continue
		}
		if err := b.opts.Sessions.Send(e.device, &protocol.AppDeliver{Topic: s.topic, Data: s.payload}); err != nil {
			reason := "send_failed"
			if errors.Is(err, ErrNoSession) {
				reason = "no_session" // it ended since the check above
			}
			b.m.telemetryDrops.WithLabelValues(reason).Inc()
			continue
		}
		b.m.telemetry.WithLabelValues(s.topic).Inc()
	}
}

// subscribed reports whether an app assigned to the device subscribes to
// topic. The patterns are cached for subsTTL or until an Application
// changes.
func (b *Bridge) subscribed(e *vehicleEntry, topic string) bool {
	b.mu.Lock()
	gen := b.subsGen
	b.mu.Unlock()
	e.subsMu.Lock()
	defer e.subsMu.Unlock()
	if e.subsGen != gen || time.Since(e.subsAt) > subsTTL {
		var list wasmbedv1.ApplicationList
		if err := b.opts.Reader.List(b.ctx, &list, client.InNamespace(b.opts.Namespace)); err == nil {
			e.subs = e.subs[:0]
			for i := range list.Items {
				if assigned(&list.Items[i], e.device) {
					e.subs = append(e.subs, list.Items[i].Spec.Capabilities.Subscribe...)
				}
			}
			e.subsGen, e.subsAt = gen, time.Now()
		}
	}
	return abi.AnyTopicMatches(e.subs, topic)
}

// assigned reports whether app is assigned to device and not being
// deleted.
func assigned(app *wasmbedv1.Application, device string) bool {
	if !app.DeletionTimestamp.IsZero() {
		return false
	}
	for _, d := range app.Status.Devices {
		if d.Name == device {
			return true
		}
	}
	return false
}

// SessionStarted opens the device's link at once (rather than at the next
// Device event) and tells its apps the vehicle's state.
func (b *Bridge) SessionStarted(device string) {
	var d wasmbedv1.Device
	if err := b.opts.Reader.Get(b.ctx, client.ObjectKey{Namespace: b.opts.Namespace, Name: device}, &d); err == nil {
		b.reconcile(device, &d)
	}
	if e := b.entry(device); e != nil {
		e.link.announce()
	}
}

// DeviceDisconnected commands the Device's failsafe if its vehicle is
// flying: nobody drives it any more.
func (b *Bridge) DeviceDisconnected(device string) {
	e := b.entry(device)
	if e == nil || !e.link.flying() {
		return
	}
	action := wasmbedv1.FailsafeRTL
	var d wasmbedv1.Device
	if err := b.opts.Reader.Get(b.ctx, client.ObjectKey{Namespace: b.opts.Namespace, Name: device}, &d); err == nil && d.Spec.Failsafe != "" {
		action = d.Spec.Failsafe
	}
	b.wg.Add(1)
	go func() {
		defer b.wg.Done()
		b.failsafe(e, action)
	}()
}

// failsafe commands action (RTL falls back to Land if refused).
func (b *Bridge) failsafe(e *vehicleEntry, action wasmbedv1.FailsafeAction) {
	ctx, cancel := context.WithTimeout(b.ctx, failsafeTimeout)
	defer cancel()
	commands := []string{abi.VehicleLand}
	if action != wasmbedv1.FailsafeLand {
		commands = []string{abi.VehicleRTL, abi.VehicleLand}
	}
	b.log.Warn("device disconnected while its vehicle flies; commanding the failsafe", "device", e.device, "sysid", e.sysid, "failsafe", action)
	for _, c := range commands {
		mc, bad := e.link.translate(c, 0, "")
		res := commandResult{}
		if bad != nil {
			res = *bad
		} else {
			res = e.link.exec(ctx, mc)
		}
		b.m.failsafes.WithLabelValues(c, res.result).Inc()
		b.log.Info("failsafe command", "device", e.device, "command", c, "result", res.result, "message", res.message)
		if res.result == abi.VehicleAccepted {
			return
		}
	}
}

// PublishAllowed keeps apps off the vehicle/ topics, which only the bridge
// may deliver: an app must not be able to forge another app's telemetry.
func (b *Bridge) PublishAllowed(device string, m *protocol.AppPublish) bool {
	if !abi.IsVehicleTopic(m.Topic) {
		return true
	}
	b.m.forgedTopics.Inc()
	b.opts.Audit.Refuse(refusal.StagePublish, refusal.ReasonCapabilityNotGranted)
	b.log.Info("publication refused: vehicle/ topics are reserved for the MAVLink bridge", "device", device, "app", m.App, "topic", m.Topic)
	return false
}
