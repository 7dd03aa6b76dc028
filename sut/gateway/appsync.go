package gateway

import (
	"context"
	"encoding/base64"
	"sync"
	"time"

	"k8s.io/client-go/util/workqueue"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/wasmbed/wasmbed/sut/abi"
	wasmbedv1 "github.com/wasmbed/wasmbed/sut/api/v1alpha1"
	"github.com/wasmbed/wasmbed/sut/protocol"
	"github.com/wasmbed/wasmbed/sut/refusal"
)

// appSync converges each connected device's apps to its assignment. The
// assignment is read, level-triggered, from the Applications in the
// informer cache (status.devices, written by the controller); what the
// device runs is what it last reported. A work queue of device names
// collapses bursts of events into one comparison per device.
type appSync struct {
	g       *Gateway
	queue   workqueue.TypedRateLimitingInterface[string]
	modules *moduleCache

	mu      sync.Mutex
	devices map[string]*deviceApps
}

// deviceApps is the gateway's memory of one device's apps during a session.
type deviceApps struct {
	gen      uint64
	inflight map[string]string  // app → digest being deployed
	stopping map[string]bool    // app → stop sent
	failed   map[string]failure // app → why its digest could not be deployed
}

type failure struct {
	digest  string
	reason  refusal.Reason
	message string
}

const appWorkers = 16

func newAppSync(g *Gateway) *appSync {
	return &appSync{
		g:       g,
		modules: newModuleCache(64 << 20),
		devices: map[string]*deviceApps{},
		queue: workqueue.NewTypedRateLimitingQueueWithConfig(
			workqueue.DefaultTypedControllerRateLimiter[string](),
			workqueue.TypedRateLimitingQueueConfig[string]{Name: "device-apps"}),
	}
}

func (a *appSync) run(ctx context.Context) {
	for range appWorkers {
		go func() {
			for a.next(ctx) {
			}
		}()
	}
	<-ctx.Done()
	a.queue.ShutDown()
}

func (a *appSync) next(ctx context.Context) bool {
	name, shutdown := a.queue.Get()
	if shutdown {
		return false
	}
	defer a.queue.Done(name)
	if err := a.sync(ctx, name); err != nil {
		a.g.log.Warn("app sync failed; retrying", "device", name, "err", err)
		a.queue.AddRateLimited(name)
		return true
	}
	a.queue.Forget(name)
	return true
}

// state returns the device's session memory, resetting it for a new session.
func (a *appSync) state(s *session) *deviceApps {
	a.mu.Lock()
	defer a.mu.Unlock()
	st := a.devices[s.device]
	if st == nil || st.gen != s.gen {
		st = &deviceApps{gen: s.gen, inflight: map[string]string{}, stopping: map[string]bool{}, failed: map[string]failure{}}
		a.devices[s.device] = st
	}
	return st
}

func (a *appSync) sessionStarted(s *session) { a.state(s); a.queue.Add(s.device) }

func (a *appSync) sessionEnded(s *session) {
	a.mu.Lock()
	if st := a.devices[s.device]; st != nil && st.gen == s.gen {
		delete(a.devices, s.device)
	}
	a.mu.Unlock()
}

func (a *appSync) reported(s *session)         { a.queue.Add(s.device) }
func (a *appSync) deviceChanged(device string) { a.queue.Add(device) }

// applicationChanged re-checks every connected device: an Application
// change can add, update or remove an app anywhere in the namespace.
func (a *appSync) applicationChanged(any) {
	for _, s := range a.g.reg.all() {
		a.queue.Add(s.device)
	}
}

// desiredApp is an app assigned to a device.
type desiredApp struct {
	app    *wasmbedv1.Application
	digest string
}

// desired returns the apps assigned to device, from the cache.
func (a *appSync) desired(ctx context.Context, device string) (map[string]desiredApp, error) {
	var list wasmbedv1.ApplicationList
	if err := a.g.client.List(ctx, &list, client.InNamespace(a.g.opts.Namespace)); err != nil {
		return nil, err
	}
	out := map[string]desiredApp{}
	for i := range list.Items {
		app := &list.Items[i]
		if !app.DeletionTimestamp.IsZero() || app.Status.ModuleDigest == "" {
			continue
		}
		for _, d := range app.Status.Devices {
			if d.Name == device {
				out[app.Name] = desiredApp{app: app, digest: app.Status.ModuleDigest}
			}
		}
	}
	return out, nil
}

// sync compares what a device runs with what it should, and sends the
// deploys and stops that close the gap.
func (a *appSync) sync(ctx context.Context, device string) error {
	s := a.g.reg.current(device)
	if s == nil {
		return nil
	}
	want, err := a.desired(ctx, device)
	if err != nil {
		return err
	}
	var dev wasmbedv1.Device
	if err := a.g.client.Get(ctx, client.ObjectKey{Namespace: a.g.opts.Namespace, Name: device}, &dev); err != nil {
		return client.IgnoreNotFound(err)
	}
	st := a.state(s)
	have := map[string]protocol.AppStatus{}
	for _, r := range s.reportedApps() {
		have[r.Name] = r
	}

	a.mu.Lock()
	var deploys []desiredApp
	var stops []string
	for name, d := range want {
		cur, running := have[name]
		switch {
		case running && cur.Digest == d.digest:
			delete(st.failed, name)
			delete(st.inflight, name)
		case st.inflight[name] == d.digest:
			// Sent, and maybe acknowledged, but not yet reported running:
			// the device's DeployResult can overtake its status report.
		case st.failed[name].digest == d.digest:
		default:
			st.inflight[name] = d.digest
			deploys = append(deploys, d)
		}
	}
	for name := range have {
		if _, ok := want[name]; !ok && !st.stopping[name] {
			st.stopping[name] = true
			stops = append(stops, name)
		}
	}
	forgotten := false
	for name := range st.failed {
		if _, ok := want[name]; !ok {
			delete(st.failed, name) // unassigned: its failure is history
			forgotten = true
		}
	}
	a.mu.Unlock()
	if forgotten {
		// The failure was only in the gateway's memory and the Device
		// status; rewrite the status, or a deleted Application would wait
		// on it forever.
		a.g.status.appsChanged(s)
	}

	for _, name := range stops {
		a.g.log.Info("stopping app", "device", device, "app", name)
		if err := s.conn.Send(s.conn.NewID(), &protocol.Stop{App: name}); err != nil {
			return nil // the session is ending; the next one re-syncs
		}
	}
	for _, d := range deploys {
		if err := a.deploy(ctx, s, &dev, d); err != nil {
			a.mu.Lock()
			delete(st.inflight, d.app.Name)
			a.mu.Unlock()
			return err
		}
	}
	return nil
}

// deploy resolves, validates and sends one app.
func (a *appSync) deploy(ctx context.Context, s *session, dev *wasmbedv1.Device, d desiredApp) error {
	module, err := a.modules.get(ctx, a.g.reader, d.app, d.digest)
	if err != nil {
		return err
	}
	if module == nil {
		// The spec already moved past this digest and its bytes are gone;
		// the controller will assign the new one.
		a.g.log.Info("module for the assigned digest is no longer available; waiting for the new rollout", "device", s.device, "app", d.app.Name, "digest", short(d.digest))
		a.mu.Lock()
		delete(a.state(s).inflight, d.app.Name)
		a.mu.Unlock()
		return nil
	}
	features := make([]string, len(dev.Spec.Capabilities.WasmFeatures))
	for i, f := range dev.Spec.Capabilities.WasmFeatures {
		features[i] = string(f)
	}
	if err := a.modules.validate(ctx, module, d.digest, features); err != nil {
		a.fail(s, d.app.Name, d.digest, abi.ReasonOf(err), err.Error())
		a.g.metrics.deploys.WithLabelValues(string(abi.ReasonInvalidModule)).Inc()
		a.g.metrics.refuse(refusal.StageDeploy, abi.ReasonInvalidModule)
		a.g.log.Info("deploy refused", "device", s.device, "app", d.app.Name, "reason", abi.ReasonInvalidModule, "message", err.Error())
		return nil
	}
	msg := a.deployMessage(dev, d, module)
	start := time.Now()
	if err := s.conn.Send(s.conn.NewID(), msg); err != nil {
		return nil // session ending
	}
	for i := uint32(0); i < msg.Chunks; i++ {
		lo := int(i) * protocol.ChunkSize
		hi := min(lo+protocol.ChunkSize, len(module))
		if err := s.conn.Send(s.conn.NewID(), &protocol.ModuleChunk{App: msg.App, Digest: msg.Digest, Index: i, Data: module[lo:hi]}); err != nil {
			return nil
		}
		a.g.metrics.moduleBytesSent.Add(float64(hi - lo))
	}
	a.g.metrics.deploys.WithLabelValues("sent").Inc()
	a.g.log.Info("app sent", "device", s.device, "app", msg.App, "digest", short(msg.Digest), "bytes", len(module), "chunks", msg.Chunks, "took", time.Since(start))
	return nil
}

func (a *appSync) deployMessage(dev *wasmbedv1.Device, d desiredApp, module []byte) *protocol.Deploy {
	spec := d.app.Spec
	lim := protocol.AppLimits{MaxMemoryPages: uint32(spec.Limits.MaxMemoryPages),
		MaxExecutionMs: uint64(abi.DefaultMaxExecution.Milliseconds()), MaxRestarts: abi.DefaultMaxRestarts}
	if lim.MaxMemoryPages == 0 {
		lim.MaxMemoryPages = abi.DefaultMaxMemoryPages
	}
	if spec.Limits.MaxExecutionTime != nil {
		lim.MaxExecutionMs = uint64(spec.Limits.MaxExecutionTime.Milliseconds())
	}
	if spec.Limits.MaxRestarts != nil {
		lim.MaxRestarts = uint32(*spec.Limits.MaxRestarts)
	}
	caps := spec.Capabilities
	msg := &protocol.Deploy{
		App:    d.app.Name,
		Digest: d.digest,
		Size:   uint32(len(module)),
		Chunks: uint32((len(module) + protocol.ChunkSize - 1) / protocol.ChunkSize),
		Limits: lim,
		Capabilities: protocol.AppCapabilities{
			Log: caps.Log, Clock: caps.Clock, KV: caps.KV, WASI: caps.WASI,
			Publish: caps.Publish, Subscribe: caps.Subscribe,
		},
		Args:          spec.Args,
		Config:        spec.Config,
		RestartPolicy: string(spec.RestartPolicy),
		RequireSigned: dev.Spec.Capabilities.RequireSignedModules,
	}
	for _, c := range caps.MAVLink {
		msg.Capabilities.MAVLink = append(msg.Capabilities.MAVLink, string(c))
	}
	if len(spec.Env) > 0 {
		msg.Env = map[string]string{}
		for _, e := range spec.Env {
			msg.Env[e.Name] = e.Value
		}
	}
	if sig, err := base64.StdEncoding.DecodeString(spec.Module.Signature); err == nil && len(sig) > 0 {
		msg.Signature = sig
	}
	msg.TrustedKeys = append(append([]string{}, a.g.getSpec().TrustedModuleKeys...), dev.Spec.Capabilities.TrustedModuleKeys...)
	return msg
}

// fail records that an app's digest could not be deployed, so the Device
// status (and from it the Application's) says why, and the gateway does not
// resend it until something changes.
func (a *appSync) fail(s *session, app, digest string, reason refusal.Reason, message string) {
	st := a.state(s)
	a.mu.Lock()
	st.failed[app] = failure{digest: digest, reason: reason, message: message}
	delete(st.inflight, app)
	a.mu.Unlock()
	a.g.status.appsChanged(s)
}

func (a *appSync) deployResult(s *session, r *protocol.DeployResult) {
	st := a.state(s)
	if r.OK {
		// inflight stays until the device reports the digest running.
		a.mu.Lock()
		delete(st.failed, r.App)
		a.mu.Unlock()
		a.g.metrics.deploys.WithLabelValues("ok").Inc()
	} else {
		a.g.metrics.deploys.WithLabelValues(string(r.Reason)).Inc()
		a.g.metrics.refuse(refusal.StageDeploy, r.Reason)
		a.g.log.Info("device refused app", "device", s.device, "app", r.App, "reason", r.Reason, "message", r.Message)
		a.fail(s, r.App, r.Digest, r.Reason, r.Message)
	}
	a.queue.Add(s.device)
}

func (a *appSync) stopResult(s *session, r *protocol.StopResult) {
	st := a.state(s)
	a.mu.Lock()
	delete(st.stopping, r.App)
	a.mu.Unlock()
	a.queue.Add(s.device)
}

// statusApps is the app list the gateway writes to Device status: what the
// device reports, plus the deploys that failed before the app could run.
func (a *appSync) statusApps(s *session) []protocol.AppStatus {
	out := s.reportedApps()
	st := a.state(s)
	a.mu.Lock()
	defer a.mu.Unlock()
	for name, f := range st.failed {
		replaced := false
		for i := range out {
			if out[i].Name == name && out[i].Digest != f.digest {
				// An older version keeps running; report the failed rollout
				// on it so the status says why the update did not land.
				out[i].Reason, out[i].LastError = f.reason, f.message
				replaced = true
			} else if out[i].Name == name {
				replaced = true
			}
		}
		if !replaced {
			out = append(out, protocol.AppStatus{Name: name, Digest: f.digest, State: string(wasmbedv1.AppFailed), Reason: f.reason, LastError: f.message})
		}
	}
	return a.g.vehicles.Annotate(s.device, out)
}

// published routes an app's message to every connected device running an
// app whose Application subscribes to the topic: the gateway is the
// namespace's broker.
func (a *appSync) published(s *session, m *protocol.AppPublish) {
	a.g.metrics.appMessages.WithLabelValues(m.Topic).Inc()
	var list wasmbedv1.ApplicationList
	if err := a.g.client.List(context.Background(), &list, client.InNamespace(a.g.opts.Namespace)); err != nil {
		return
	}
	subscribers := map[string]bool{}
	for _, app := range list.Items {
		for _, pat := range app.Spec.Capabilities.Subscribe {
			if abi.TopicMatches(pat, m.Topic) {
				subscribers[app.Name] = true
			}
		}
	}
	if len(subscribers) == 0 {
		return
	}
	for _, peer := range a.g.reg.all() {
		for _, r := range peer.reportedApps() {
			if subscribers[r.Name] {
				_ = peer.conn.Send(peer.conn.NewID(), &protocol.AppDeliver{Topic: m.Topic, Data: m.Data})
				break
			}
		}
	}
}

func short(d string) string {
	if len(d) > 12 {
		return d[:12]
	}
	return d
}
