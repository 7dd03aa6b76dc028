package bench

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bluenviron/gomavlib/v3/pkg/dialect"
	"github.com/bluenviron/gomavlib/v3/pkg/dialects/common"
	"github.com/bluenviron/gomavlib/v3/pkg/frame"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/wasmbed/wasmbed/firmware/agent"
	fixtures "github.com/wasmbed/wasmbed/fixtures/apps"
	"github.com/wasmbed/wasmbed/harness/appspec"
	"github.com/wasmbed/wasmbed/harness/env"
	"github.com/wasmbed/wasmbed/harness/mavobserver"
	"github.com/wasmbed/wasmbed/harness/observe"
	"github.com/wasmbed/wasmbed/harness/testbed"
	wasmbedv1 "github.com/wasmbed/wasmbed/sut/api/v1alpha1"
)

// BenchmarkPX4Latency measures the MAVLink bridge end to end, with the
// built-in vehicle at real-time speed and an in-process device running the
// vehicle-probe fixture:
//
//   - telemetry: from the vehicle sending a GLOBAL_POSITION_INT (the same
//     sample's arrival on its GCS link, tapped in this process) to the app
//     receiving it (the app publishes probe/t/<time_boot_ms> from
//     on_message; the device's Published event is timed in this process);
//   - commands: from the app's vehicle_command (probe/sent/<id>) to its
//     on_message getting the result after the autopilot's COMMAND_ACK
//     (probe/done/<id>): app → device → gateway → vehicle → ack → back.
//
// Reported as p50 and p99 in milliseconds.
func BenchmarkPX4Latency(b *testing.B) {
	ctx := context.Background()
	marks := newProbeMarks()
	e := benchSystem(b, "bench-px4-latency")
	tb := px4Testbed(b, e, marks.event)
	air, err := testbed.NewAirspace(ctx, tb, testbed.AirspaceOptions{SpeedFactor: 1})
	if err != nil {
		b.Fatal(err)
	}
	tap, err := newGCSTap(air.Observer.Addr())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(tap.close)
	v, err := air.NewVehicle(ctx, testbed.VehicleOptions{GCSRemote: tap.addr().String()})
	if err != nil {
		b.Fatal(err)
	}
	pilot(b, e, tb, v, "probe")

	const telemetrySamples, commands = 300, 40
	var tel, cmd []time.Duration
	i := 0
	for b.Loop() {
		i++
		name := "probe-" + strconv.Itoa(i)
		marks.reset(name)
		app := appspec.FromFixture(e.Namespace, name, fixtures.VehicleProbe, appspec.Options{Devices: []string{"probe"}, Tick: 250 * time.Millisecond})
		app.Spec.Config["commands"] = strconv.Itoa(commands)
		if err := e.Client.Create(ctx, app); err != nil {
			b.Fatal(err)
		}
		wctx, cancel := context.WithTimeout(ctx, e.Config.Scale(90*time.Second))
		err := marks.wait(wctx, func() bool { return marks.telemetryCount() >= telemetrySamples && marks.doneCount() >= commands })
		cancel()
		if err != nil {
			b.Fatalf("probe: %v (telemetry %d, commands %d)", err, marks.telemetryCount(), marks.doneCount())
		}
		tel = append(tel, marks.telemetryLatencies(tap)...)
		cmd = append(cmd, marks.commandLatencies()...)
		if err := e.Client.Delete(ctx, app); err != nil {
			b.Fatal(err)
		}
	}
	if len(tel) < telemetrySamples/2 {
		b.Fatalf("only %d telemetry samples matched the vehicle's", len(tel))
	}
	reportLatency(b, tel, "telemetry")
	reportLatency(b, cmd, "command")
	b.Logf("telemetry %d samples: p50 %v p99 %v; commands %d: p50 %v p99 %v",
		len(tel), percentile(tel, 50), percentile(tel, 99), len(cmd), percentile(cmd, 50), percentile(cmd, 99))
}

// BenchmarkPX4MissionWallTime flies the drone fixture's take-off (10 m),
// hover (30 s of vehicle time) and landing on the built-in vehicle at 50x,
// and reports the wall time from the observer seeing it arm to seeing it
// landed and disarmed (target: 5 s or less), and from creating the
// Application to landed.
func BenchmarkPX4MissionWallTime(b *testing.B) {
	const speed = 50
	ctx := context.Background()
	e := benchSystem(b, "bench-px4-mission")
	tb := px4Testbed(b, e, nil)
	air, err := testbed.NewAirspace(ctx, tb, testbed.AirspaceOptions{SpeedFactor: speed})
	if err != nil {
		b.Fatal(err)
	}
	v, err := air.NewVehicle(ctx, testbed.VehicleOptions{})
	if err != nil {
		b.Fatal(err)
	}
	pilot(b, e, tb, v, "pilot")

	var missions, totals []time.Duration
	i := 0
	for b.Loop() {
		i++
		before := v.State().TextCount
		rec := v.Record()
		app := appspec.FromFixture(e.Namespace, "mission-"+strconv.Itoa(i), fixtures.Drone, appspec.Options{Devices: []string{"pilot"}, Tick: 20 * time.Millisecond})
		app.Spec.Config["altitude"], app.Spec.Config["hover_s"] = "10", "30"
		start := time.Now()
		if err := e.Client.Create(ctx, app); err != nil {
			b.Fatal(err)
		}
		wctx, cancel := context.WithTimeout(ctx, e.Config.Scale(60*time.Second))
		if _, err := air.Observer.WaitFor(wctx, v.SystemID, func(s mavobserver.Vehicle) bool { return s.Armed }); err != nil {
			b.Fatal(err)
		}
		armed := time.Now()
		_, err := air.Observer.WaitFor(wctx, v.SystemID, func(s mavobserver.Vehicle) bool {
			_, landed := s.TextAfter("Disarmed by landing", before)
			return landed && !s.Armed
		})
		cancel()
		if err != nil {
			b.Fatal(err)
		}
		done := time.Now()
		rec.Stop()
		lo, hi := mavobserver.HoverBand(10)
		if near := rec.TimeAltRelWithin(lo, hi); near < 30*time.Second {
			b.Fatalf("the vehicle hovered %v in the hover band of 10 m (%.2f-%.2f m), want 30s", near, lo, hi)
		}
		missions = append(missions, done.Sub(armed))
		totals = append(totals, done.Sub(start))
		if err := e.Client.Delete(ctx, app); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(speed, "speed-x")
	b.ReportMetric(percentile(missions, 50).Seconds(), "mission-wall-s")
	b.ReportMetric(percentile(totals, 50).Seconds(), "apply-to-landed-s")
	b.Logf("at %dx: arm to landed and disarmed %v, Application created to landed %v", speed, percentile(missions, 50), percentile(totals, 50))
}

// px4Testbed starts the SUT with in-process devices whose events go to
// events (nil: none).
func px4Testbed(b *testing.B, e *env.Env, events func(agent.Event)) *testbed.Testbed {
	b.Helper()
	tb, err := testbed.New(context.Background(), e, testbed.Options{Backend: "inprocess", Events: events})
	if err != nil {
		b.Fatal(err)
	}
	return tb
}

// pilot connects a device and makes it the vehicle's pilot.
func pilot(b *testing.B, e *env.Env, tb *testbed.Testbed, v *testbed.Vehicle, name string) {
	b.Helper()
	ctx := context.Background()
	if _, err := tb.NewDevice(ctx, name, testbed.DeviceOptions{Token: true}); err != nil {
		b.Fatal(err)
	}
	tick := time.NewTicker(50 * time.Millisecond) // polling the API, as Eventually does
	defer tick.Stop()
	deadline := time.After(e.Config.Scale(60 * time.Second))
	for {
		phase, _ := observe.DevicePhase(e.Client, e.Namespace, name)(ctx)
		if phase == wasmbedv1.DeviceConnected {
			break
		}
		select {
		case <-tick.C:
		case <-deadline:
			b.Fatalf("device %s is %q, not Connected", name, phase)
		}
	}
	if err := v.Fly(ctx, e.Client, e.Namespace, name, ""); err != nil {
		b.Fatal(err)
	}
	var d wasmbedv1.Device
	if err := e.Client.Get(ctx, client.ObjectKey{Namespace: e.Namespace, Name: name}, &d); err != nil || d.Spec.Capabilities.MAVLink == nil {
		b.Fatalf("device %s does not name its vehicle: %v", name, err)
	}
}

// probeMarks collects the vehicle-probe app's publications, timed.
type probeMarks struct {
	mu        sync.Mutex
	app       string
	telemetry map[uint32]time.Time // time_boot_ms → reached the app
	sent      map[string]time.Time // command id → sent
	done      map[string]time.Time // command id → result received
	changed   chan struct{}
}

func newProbeMarks() *probeMarks {
	return &probeMarks{changed: make(chan struct{}), telemetry: map[uint32]time.Time{}, sent: map[string]time.Time{}, done: map[string]time.Time{}}
}

func (p *probeMarks) reset(app string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.app = app
	p.telemetry, p.sent, p.done = map[uint32]time.Time{}, map[string]time.Time{}, map[string]time.Time{}
}

func (p *probeMarks) event(ev agent.Event) {
	if ev.Kind != agent.EventPublished {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if ev.App != p.app {
		return
	}
	switch {
	case strings.HasPrefix(ev.Message, "probe/t/"):
		if t, err := strconv.ParseUint(strings.TrimPrefix(ev.Message, "probe/t/"), 10, 32); err == nil {
			p.telemetry[uint32(t)] = ev.Time
		}
	case strings.HasPrefix(ev.Message, "probe/sent/"):
		p.sent[strings.TrimPrefix(ev.Message, "probe/sent/")] = ev.Time
	case strings.HasPrefix(ev.Message, "probe/done/"):
		p.done[strings.TrimPrefix(ev.Message, "probe/done/")] = ev.Time
	default:
		return
	}
	close(p.changed)
	p.changed = make(chan struct{})
}

func (p *probeMarks) telemetryCount() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.telemetry)
}

func (p *probeMarks) doneCount() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.done)
}

func (p *probeMarks) wait(ctx context.Context, cond func() bool) error {
	for !cond() {
		p.mu.Lock()
		ch := p.changed
		p.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

func (p *probeMarks) telemetryLatencies(tap *gcsTap) []time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []time.Duration
	for t, at := range p.telemetry {
		if sent, ok := tap.sentAt(t); ok {
			out = append(out, at.Sub(sent))
		}
	}
	return out
}

func (p *probeMarks) commandLatencies() []time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []time.Duration
	for id, done := range p.done {
		if sent, ok := p.sent[id]; ok {
			out = append(out, done.Sub(sent))
		}
	}
	return out
}

// gcsTap sits between the vehicle's GCS link and the observer: it notes
// when each GLOBAL_POSITION_INT left the vehicle (by its time_boot_ms) and
// passes every datagram from the vehicle on to the observer, and the
// observer's ground-station heartbeats back to the vehicle (without them
// PX4 would send the observer no texts).
type gcsTap struct {
	conn *net.UDPConn
	to   *net.UDPAddr // the observer
	done chan struct{}

	mu      sync.Mutex
	sent    map[uint32]time.Time
	vehicle *net.UDPAddr // learned from its first datagram
}

func newGCSTap(to *net.UDPAddr) (*gcsTap, error) {
	conn, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		return nil, err
	}
	rw := &dialect.ReadWriter{Dialect: common.Dialect}
	if err := rw.Initialize(); err != nil {
		conn.Close()
		return nil, err
	}
	t := &gcsTap{conn: conn, to: to, done: make(chan struct{}), sent: map[uint32]time.Time{}}
	go t.loop(rw)
	return t, nil
}

func (t *gcsTap) addr() *net.UDPAddr { return t.conn.LocalAddr().(*net.UDPAddr) }

func (t *gcsTap) close() {
	t.conn.Close()
	<-t.done
}

func (t *gcsTap) sentAt(bootMs uint32) (time.Time, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	at, ok := t.sent[bootMs]
	return at, ok
}

func (t *gcsTap) loop(rw *dialect.ReadWriter) {
	defer close(t.done)
	buf := make([]byte, 65536)
	for {
		n, src, err := t.conn.ReadFromUDP(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		now := time.Now()
		pkt := bytes.Clone(buf[:n])
		t.mu.Lock()
		if src.Port == t.to.Port && src.IP.Equal(t.to.IP) {
			if v := t.vehicle; v != nil {
				_, _ = t.conn.WriteToUDP(pkt, v)
			}
			t.mu.Unlock()
			continue
		}
		if t.vehicle == nil {
			t.vehicle = src
		}
		t.mu.Unlock()
		_, _ = t.conn.WriteToUDP(pkt, t.to)
		r := &frame.Reader{BufByteReader: bufio.NewReader(bytes.NewReader(pkt)), DialectRW: rw}
		if err := r.Initialize(); err != nil {
			panic(fmt.Sprintf("frame reader: %v", err))
		}
		for {
			fr, err := r.Read()
			if err != nil {
				break
			}
			if m, ok := fr.GetMessage().(*common.MessageGlobalPositionInt); ok {
				t.mu.Lock()
				if _, seen := t.sent[m.TimeBootMs]; !seen {
					t.sent[m.TimeBootMs] = now
				}
				t.mu.Unlock()
			}
		}
	}
}
