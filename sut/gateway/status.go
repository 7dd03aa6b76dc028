package gateway

import (
	"context"
	"encoding/json"
	"sync"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/workqueue"
	"sigs.k8s.io/controller-runtime/pkg/client"

	wasmbedv1 "github.com/wasmbed/wasmbed/sut/api/v1alpha1"
	"github.com/wasmbed/wasmbed/sut/protocol"
)

// statusWriter coalesces the gateway's writes to Device status. It keeps
// the latest observed state per device and a work queue of device names:
// a state change (connect, disconnect, app change) is queued at once; a
// heartbeat only schedules a write for when the flush interval since the
// last write has passed. Whatever happened in between is written once,
// as the latest state — never as a backlog of events.
type statusWriter struct {
	g      *Gateway
	mu     sync.Mutex
	states map[string]*devState
	queue  workqueue.TypedRateLimitingInterface[string]
}

type devState struct {
	gen            uint64
	phase          wasmbedv1.DevicePhase
	connectedSince *metav1.Time
	lastHeartbeat  metav1.Time
	health         protocol.DeviceHealth
	firmware       string
	apps           []protocol.AppStatus
	written        time.Time // last successful write
	scheduled      bool      // a delayed heartbeat write is queued
	kind           string    // what the pending write is, for metrics
}

const statusWorkers = 8

func newStatusWriter(g *Gateway) *statusWriter {
	return &statusWriter{
		g:      g,
		states: map[string]*devState{},
		queue: workqueue.NewTypedRateLimitingQueueWithConfig(
			workqueue.DefaultTypedControllerRateLimiter[string](),
			workqueue.TypedRateLimitingQueueConfig[string]{Name: "device-status"}),
	}
}

func (w *statusWriter) run(ctx context.Context) {
	for range statusWorkers {
		go func() {
			for w.processNext(ctx) {
			}
		}()
	}
	<-ctx.Done()
	w.queue.ShutDown()
}

// connected records a new session; written at once.
func (w *statusWriter) connected(s *session, info protocol.DeviceInfo, health protocol.DeviceHealth) {
	now := metav1.Now()
	w.mu.Lock()
	st := &devState{
		gen: s.gen, phase: wasmbedv1.DeviceConnected, connectedSince: &now, lastHeartbeat: now,
		health: health, firmware: info.Firmware, apps: w.g.apps.statusApps(s), kind: "connect",
	}
	w.states[s.device] = st
	w.mu.Unlock()
	w.queue.Add(s.device)
}

// heartbeat records a heartbeat. Only a changed app list is urgent.
func (w *statusWriter) heartbeat(s *session, health protocol.DeviceHealth, appsChanged bool) {
	w.mu.Lock()
	st := w.states[s.device]
	if st == nil || st.gen != s.gen {
		w.mu.Unlock()
		return
	}
	st.lastHeartbeat = metav1.Now()
	st.health = health
	if appsChanged {
		st.apps = w.g.apps.statusApps(s)
		st.kind = "apps"
		w.mu.Unlock()
		w.queue.Add(s.device)
		return
	}
	if st.scheduled {
		w.mu.Unlock()
		return
	}
	st.scheduled = true
	if st.kind == "" {
		st.kind = "heartbeat"
	}
	wait := statusFlushInterval(w.g.getSpec()) - time.Since(st.written)
	w.mu.Unlock()
	w.queue.AddAfter(s.device, max(wait, 0))
}

// appsChanged records a changed app list; written at once.
func (w *statusWriter) appsChanged(s *session) {
	w.mu.Lock()
	st := w.states[s.device]
	if st == nil || st.gen != s.gen {
		w.mu.Unlock()
		return
	}
	st.apps = w.g.apps.statusApps(s)
	st.kind = "apps"
	w.mu.Unlock()
	w.queue.Add(s.device)
}

// disconnected records the end of the device's current session.
func (w *statusWriter) disconnected(s *session) {
	w.mu.Lock()
	st := w.states[s.device]
	if st == nil || st.gen != s.gen {
		w.mu.Unlock()
		return
	}
	st.phase = wasmbedv1.DeviceDisconnected
	st.connectedSince = nil
	st.kind = "disconnect"
	w.mu.Unlock()
	w.queue.Add(s.device)
}

// statusPatch is the part of Device status the gateway owns.
type statusPatch struct {
	Status struct {
		Phase          wasmbedv1.DevicePhase       `json:"phase"`
		Gateway        string                      `json:"gateway"`
		ConnectedSince *metav1.Time                `json:"connectedSince"`
		LastHeartbeat  metav1.Time                 `json:"lastHeartbeat"`
		Health         *wasmbedv1.DeviceHealth     `json:"health"`
		Apps           []wasmbedv1.DeviceAppStatus `json:"apps"`
	} `json:"status"`
}

func (w *statusWriter) processNext(ctx context.Context) bool {
	name, shutdown := w.queue.Get()
	if shutdown {
		return false
	}
	defer w.queue.Done(name)
	w.mu.Lock()
	st := w.states[name]
	if st == nil {
		w.mu.Unlock()
		w.queue.Forget(name)
		return true
	}
	var p statusPatch
	p.Status.Phase = st.phase
	p.Status.Gateway = w.g.opts.Name
	p.Status.ConnectedSince = st.connectedSince
	p.Status.LastHeartbeat = st.lastHeartbeat
	p.Status.Health = &wasmbedv1.DeviceHealth{
		UptimeSeconds:   int64(st.health.UptimeMs / 1000),
		FreeMemoryBytes: int64(st.health.FreeMemoryBytes),
		FirmwareVersion: st.firmware,
	}
	p.Status.Apps = toDeviceApps(st.apps)
	kind, gen := st.kind, st.gen
	st.kind, st.scheduled, st.written = "", false, time.Now()
	w.mu.Unlock()

	if kind == "" {
		kind = "heartbeat"
	}
	body, _ := json.Marshal(p)
	dev := &wasmbedv1.Device{}
	dev.Namespace, dev.Name = w.g.opts.Namespace, name
	err := w.g.client.Status().Patch(ctx, dev, client.RawPatch(types.MergePatchType, body))
	switch {
	case err == nil:
		w.g.metrics.statusWrites.WithLabelValues(kind).Inc()
		w.queue.Forget(name)
		if p.Status.Phase == wasmbedv1.DeviceDisconnected {
			w.mu.Lock()
			if cur := w.states[name]; cur != nil && cur.gen == gen && cur.phase == wasmbedv1.DeviceDisconnected && cur.kind == "" {
				delete(w.states, name)
			}
			w.mu.Unlock()
		}
	case apierrors.IsNotFound(err):
		w.mu.Lock()
		delete(w.states, name)
		w.mu.Unlock()
		w.queue.Forget(name)
	default:
		w.g.log.Warn("device status write failed; retrying", "device", name, "err", err)
		w.mu.Lock()
		if cur := w.states[name]; cur != nil && cur.kind == "" {
			cur.kind = kind
		}
		w.mu.Unlock()
		w.queue.AddRateLimited(name)
	}
	return true
}

// flush writes every state change still pending, for shutdown.
func (w *statusWriter) flush(ctx context.Context) {
	for ctx.Err() == nil {
		w.mu.Lock()
		var pending []string
		for name, st := range w.states {
			if st.kind != "" && st.kind != "heartbeat" {
				pending = append(pending, name)
			}
		}
		w.mu.Unlock()
		if len(pending) == 0 {
			return
		}
		for _, n := range pending {
			w.queue.Add(n)
		}
		// Let the workers drain; poll until nothing urgent remains.
		t := time.NewTimer(20 * time.Millisecond)
		select {
		case <-ctx.Done():
		case <-t.C:
		}
	}
}

func toDeviceApps(apps []protocol.AppStatus) []wasmbedv1.DeviceAppStatus {
	out := make([]wasmbedv1.DeviceAppStatus, 0, len(apps))
	for _, a := range apps {
		if a.Name == "" {
			continue
		}
		state, reason := wasmbedv1.AppState(a.State), a.Reason
		if !knownAppStates[state] {
			// The API server would refuse the whole patch; keep the rest.
			state, reason = wasmbedv1.AppFailed, "UnknownState"
		}
		out = append(out, wasmbedv1.DeviceAppStatus{
			Name: a.Name, Digest: a.Digest, State: state, Restarts: int32(a.Restarts),
			Reason: string(reason), LastError: truncate(a.LastError, 512), MemoryBytes: int64(a.MemoryBytes),
		})
	}
	return out
}

var knownAppStates = map[wasmbedv1.AppState]bool{
	wasmbedv1.AppPending: true, wasmbedv1.AppInstalling: true, wasmbedv1.AppRunning: true,
	wasmbedv1.AppBackoff: true, wasmbedv1.AppFailed: true, wasmbedv1.AppStopped: true,
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
