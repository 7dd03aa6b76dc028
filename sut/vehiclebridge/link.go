package vehiclebridge

import (
	"fmt"
	"log/slog"
	"math"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/bluenviron/gomavlib/v3"
	"github.com/bluenviron/gomavlib/v3/pkg/dialects/common"
	"github.com/bluenviron/gomavlib/v3/pkg/frame"

	"github.com/wasmbed/wasmbed/sut/abi"
)

// The gateway's MAVLink identity on every vehicle link. It presents itself
// as a ground station (HEARTBEAT type MAV_TYPE_GCS), because PX4's
// data-link-loss check counts only those, and with component
// MAV_COMP_ID_MISSIONPLANNER, for which PX4 explains refused mode changes
// in a STATUSTEXT.
const (
	gatewaySystemID    = 245
	gatewayComponentID = 190
	autopilotComponent = 1 // MAV_COMP_ID_AUTOPILOT1
)

// Link timing. The vehicle's clock may run faster than wall time (a
// simulator's speed factor), so the GCS heartbeat period and the link-loss
// timeout follow the vehicle's measured clock rate: one heartbeat per
// vehicle second, like a ground station, and three vehicle heartbeats
// missed, within wall-clock bounds.
const (
	minHeartbeatPeriod = 20 * time.Millisecond
	maxHeartbeatPeriod = time.Second
	// unmeasuredHeartbeat is used until the clock rate is known: fast
	// enough for a vehicle at 50x.
	unmeasuredHeartbeat = 50 * time.Millisecond
	minLinkTimeout      = time.Second
	maxLinkTimeout      = 3 * time.Second
	linkTick            = 10 * time.Millisecond
	// clockWindow is the wall time over which the vehicle's clock rate is
	// measured: short, so a fast vehicle gets fast heartbeats and a tight
	// loss timeout within its first moments.
	clockWindow = 200 * time.Millisecond
	// textsKept bounds the STATUSTEXTs remembered to explain commands.
	textsKept = 32
)

// linkConfig configures a vehicleLink.
type linkConfig struct {
	device   string
	endpoint string
	sysid    uint8
	// deliver receives telemetry for the device's apps. It must not block.
	deliver func(topic string, payload []byte)
	// fastEvery is the wall-time limit of the high-rate topics.
	fastEvery time.Duration
	log       *slog.Logger
	metrics   *metrics
}

// vehicleLink is the gateway's MAVLink connection to one vehicle: a
// gomavlib node on its own UDP socket. It tracks the vehicle's state from
// its telemetry, forwards telemetry, sends GCS heartbeats, notices the link
// going silent, and executes commands (see exec.go).
type vehicleLink struct {
	cfg  linkConfig
	udp  *vehicleUDP
	node *gomavlib.Node
	stop chan struct{}
	wg   sync.WaitGroup
	open chan struct{} // closed when gomavlib's channel is up; writes before are lost

	cmdMu sync.Mutex // one command at a time: COMMAND_ACK carries no request id

	mu       sync.Mutex
	st       vehicleState
	thr      *throttle
	clock    clockRate
	pending  *pendingCommand
	texts    []linkText
	textSeq  int
	chunk    *linkText // a STATUSTEXT still being reassembled
	chunkID  uint16
	openOnce sync.Once
	closed   bool
}

// vehicleState is what the link knows about the vehicle.
type vehicleState struct {
	heard         bool      // a heartbeat has ever arrived
	up            bool      // heartbeats arrive within the timeout
	lastHeartbeat time.Time // wall clock
	heartbeat     common.MessageHeartbeat
	landed        uint8
	hasLanded     bool
	timeBootMs    uint32 // the latest vehicle clock seen
	homeAMSL      float64
	hasHome       bool // from HOME_POSITION
	altAMSL       float64
	relAlt        float64
	hasPosition   bool // from GLOBAL_POSITION_INT
	batteryStatus bool // BATTERY_STATUS seen: SYS_STATUS no longer feeds vehicle/battery
	downSince     time.Time
	lostArmed     bool // the link went down while the vehicle was armed
}

// linkText is a STATUSTEXT the vehicle sent.
type linkText struct {
	seq      int
	severity uint8
	text     string
	at       time.Time
}

// startVehicleLink opens the socket and starts the node.
func startVehicleLink(cfg linkConfig) (*vehicleLink, error) {
	if cfg.fastEvery <= 0 {
		cfg.fastEvery = fastEvery
	}
	udp, err := dialVehicle(cfg.endpoint)
	if err != nil {
		return nil, err
	}
	node := &gomavlib.Node{
		Endpoints:      []gomavlib.EndpointConf{gomavlib.EndpointCustom{ReadWriteCloser: udp}},
		Dialect:        common.Dialect,
		OutVersion:     gomavlib.V2,
		OutSystemID:    gatewaySystemID,
		OutComponentID: gatewayComponentID,
		// The link sends its own heartbeats, at a rate that follows the
		// vehicle's clock.
		HeartbeatDisable: true,
	}
	if err := node.Initialize(); err != nil {
		udp.Close()
		return nil, fmt.Errorf("mavlink node for %s: %w", cfg.endpoint, err)
	}
	l := &vehicleLink{
		cfg: cfg, udp: udp, node: node,
		stop: make(chan struct{}), open: make(chan struct{}),
		thr: newThrottle(cfg.fastEvery),
	}
	l.wg.Add(2)
	go l.readLoop()
	go l.tickLoop()
	return l, nil
}

// close stops the node, closes the socket and waits for the link's
// goroutines. Safe to call twice.
func (l *vehicleLink) close() {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return
	}
	l.closed = true
	l.mu.Unlock()
	close(l.stop)
	l.node.Close() // closes the socket; the read loop drains the events and ends
	l.wg.Wait()
	l.mu.Lock()
	up, lostArmed := l.st.up, l.st.lostArmed
	l.mu.Unlock()
	if up {
		l.cfg.metrics.linksUp.Dec()
	}
	if lostArmed {
		l.cfg.metrics.lostArmed.Dec()
	}
}

func (l *vehicleLink) readLoop() {
	defer l.wg.Done()
	for evt := range l.node.Events() {
		switch e := evt.(type) {
		case *gomavlib.EventChannelOpen:
			l.openOnce.Do(func() { close(l.open) })
		case *gomavlib.EventFrame:
			if e.Frame.GetSystemID() == l.cfg.sysid && e.Frame.GetComponentID() == autopilotComponent {
				l.handle(e.Frame, time.Now())
			}
		}
	}
}

// tickLoop sends GCS heartbeats and watches for the vehicle going silent.
func (l *vehicleLink) tickLoop() {
	defer l.wg.Done()
	t := time.NewTicker(linkTick)
	defer t.Stop()
	select {
	case <-l.open:
	case <-l.stop:
		return
	}
	var lastBeat time.Time
	for {
		select {
		case <-l.stop:
			return
		case now := <-t.C:
			if now.Sub(lastBeat) >= l.heartbeatPeriod() {
				lastBeat = now
				_ = l.node.WriteMessageAll(&common.MessageHeartbeat{
					Type:           common.MAV_TYPE_GCS,
					Autopilot:      common.MAV_AUTOPILOT_INVALID,
					SystemStatus:   common.MAV_STATE_ACTIVE,
					MavlinkVersion: 3,
				})
			}
			l.watch(now)
		}
	}
}

// watch marks the link down after the timeout and publishes the link state
// (on change, and about once a second).
func (l *vehicleLink) watch(now time.Time) {
	l.mu.Lock()
	timeout := l.linkTimeoutLocked()
	var lost bool
	if l.st.up && now.Sub(l.st.lastHeartbeat) > timeout {
		l.st.up = false
		l.st.downSince = now
		l.st.lostArmed = l.st.heartbeat.BaseMode&common.MAV_MODE_FLAG_SAFETY_ARMED != 0
		lost = true
	}
	armed := lost && l.st.lostArmed
	sample := l.linkSampleLocked(now)
	l.mu.Unlock()
	if lost {
		l.cfg.metrics.linkLosses.Inc()
		l.cfg.metrics.linksUp.Dec()
		if armed {
			l.cfg.metrics.lostArmed.Inc()
		}
		l.cfg.log.Warn("vehicle link lost", "device", l.cfg.device, "sysid", l.cfg.sysid, "silent_for", timeout)
	}
	if sample != nil {
		l.cfg.deliver(sample.topic, sample.payload)
	}
}

// linkSampleLocked returns the vehicle/link sample due now, if any.
func (l *vehicleLink) linkSampleLocked(now time.Time) *telemetrySample {
	if !l.st.heard {
		return nil // nothing to say until the vehicle was heard once
	}
	state := uint64(0)
	reason := fmt.Sprintf("no heartbeat for %s", now.Sub(l.st.lastHeartbeat).Round(time.Millisecond))
	if l.st.up {
		state, reason = 1, "heartbeat"
	}
	if !l.thr.allow(abi.TopicVehicleLink, state, now) {
		return nil
	}
	return &telemetrySample{topic: abi.TopicVehicleLink, payload: abi.Link{TimeBootMs: l.st.timeBootMs, Up: l.st.up, Reason: reason}.Append(nil)}
}

// announce re-sends the link and heartbeat state at once, for a device
// whose session just started.
func (l *vehicleLink) announce() {
	l.mu.Lock()
	delete(l.thr.last, abi.TopicVehicleLink)
	delete(l.thr.last, abi.TopicVehicleHeartbeat)
	var out []telemetrySample
	if s := l.linkSampleLocked(time.Now()); s != nil {
		out = append(out, *s)
	}
	if l.st.heard {
		out = append(out, telemetrySample{topic: abi.TopicVehicleHeartbeat, payload: l.heartbeatPayloadLocked()})
		l.thr.allow(abi.TopicVehicleHeartbeat, heartbeatState(&l.st.heartbeat), time.Now())
	}
	l.mu.Unlock()
	for _, s := range out {
		l.cfg.deliver(s.topic, s.payload)
	}
}

// handle digests one frame from the vehicle's autopilot.
func (l *vehicleLink) handle(fr frame.Frame, now time.Time) {
	var out []telemetrySample
	emit := func(topic string, state uint64, payload func() []byte) {
		if l.thr.allow(topic, state, now) {
			out = append(out, telemetrySample{topic: topic, payload: payload()})
		}
	}
	var ack *common.MessageCommandAck
	var recovered, wasLostArmed bool

	l.mu.Lock()
	switch m := fr.GetMessage().(type) {
	case *common.MessageHeartbeat:
		l.st.heartbeat = *m
		l.st.lastHeartbeat = now
		l.st.heard = true
		if !l.st.up {
			l.st.up = true
			recovered = true
			wasLostArmed, l.st.lostArmed = l.st.lostArmed, false
		}
		if p := l.pending; p != nil && p.modes != nil {
			select {
			case p.modes <- m.CustomMode:
			default:
			}
		}
		emit(abi.TopicVehicleHeartbeat, heartbeatState(m), l.heartbeatPayloadLocked)
	case *common.MessageAttitude:
		l.tickClock(m.TimeBootMs, now)
		emit(abi.TopicVehicleAttitude, 0, func() []byte { return encodeAttitude(m) })
	case *common.MessageLocalPositionNed:
		l.tickClock(m.TimeBootMs, now)
		emit(abi.TopicVehicleLocalPosition, 0, func() []byte { return encodeLocalPosition(m) })
	case *common.MessageGlobalPositionInt:
		l.tickClock(m.TimeBootMs, now)
		l.st.altAMSL, l.st.relAlt, l.st.hasPosition = float64(m.Alt)/1000, float64(m.RelativeAlt)/1000, true
		emit(abi.TopicVehicleGlobalPosition, 0, func() []byte { return encodeGlobalPosition(m) })
	case *common.MessageExtendedSysState:
		l.st.landed, l.st.hasLanded = uint8(m.LandedState), true
		t := l.st.timeBootMs
		emit(abi.TopicVehicleLanded, uint64(m.LandedState), func() []byte {
			return abi.Landed{TimeBootMs: t, State: uint8(m.LandedState), VTOLState: uint8(m.VtolState)}.Append(nil)
		})
	case *common.MessageBatteryStatus:
		l.st.batteryStatus = true
		t := l.st.timeBootMs
		emit(abi.TopicVehicleBattery, 0, func() []byte { return encodeBatteryStatus(m, t) })
	case *common.MessageSysStatus:
		if !l.st.batteryStatus {
			t := l.st.timeBootMs
			emit(abi.TopicVehicleBattery, 0, func() []byte { return encodeSysStatusBattery(m, t) })
		}
	case *common.MessageHomePosition:
		l.st.homeAMSL, l.st.hasHome = float64(m.Altitude)/1000, true
	case *common.MessageStatustext:
		if t := l.addTextLocked(m, now); t != nil {
			out = append(out, telemetrySample{topic: abi.TopicVehicleStatusText,
				payload: abi.StatusText{TimeBootMs: l.st.timeBootMs, Severity: t.severity, Text: t.text}.Append(nil)})
		}
	case *common.MessageCommandAck:
		if m.TargetSystem == gatewaySystemID || m.TargetSystem == 0 {
			ack = m
		}
	}
	if recovered {
		out = append(out, *l.forceLinkSampleLocked(now))
	}
	p := l.pending
	l.mu.Unlock()

	if wasLostArmed {
		l.cfg.metrics.lostArmed.Dec()
	}
	if recovered {
		l.cfg.metrics.linksUp.Inc()
		l.cfg.log.Info("vehicle link up", "device", l.cfg.device, "sysid", l.cfg.sysid)
	}
	if ack != nil && p != nil && uint16(ack.Command) == p.command {
		select {
		case p.acks <- *ack:
		default:
		}
	}
	for _, s := range out {
		l.cfg.deliver(s.topic, s.payload)
	}
}

// forceLinkSampleLocked returns the vehicle/link sample unthrottled.
func (l *vehicleLink) forceLinkSampleLocked(now time.Time) *telemetrySample {
	delete(l.thr.last, abi.TopicVehicleLink)
	return l.linkSampleLocked(now)
}

func (l *vehicleLink) heartbeatPayloadLocked() []byte {
	m := &l.st.heartbeat
	mode := ""
	if m.Autopilot == common.MAV_AUTOPILOT_PX4 {
		mode = px4ModeName(m.CustomMode)
	}
	return abi.Heartbeat{
		TimeBootMs: l.st.timeBootMs, CustomMode: m.CustomMode, BaseMode: uint8(m.BaseMode),
		SystemStatus: uint8(m.SystemStatus), Armed: m.BaseMode&common.MAV_MODE_FLAG_SAFETY_ARMED != 0,
		SystemID: l.cfg.sysid, Type: uint8(m.Type), Autopilot: uint8(m.Autopilot), Mode: mode,
	}.Append(make([]byte, 0, abi.HeartbeatSize+16))
}

// addTextLocked reassembles STATUSTEXT chunks (MAVLink 2 id/chunk_seq: a
// chunk shorter than the 50-byte field ends its text; a text that fills its
// chunks exactly ends when the next text starts) and returns a completed
// text, if any.
func (l *vehicleLink) addTextLocked(m *common.MessageStatustext, now time.Time) *linkText {
	var done *linkText
	if l.chunk != nil && (m.Id != l.chunkID || m.ChunkSeq == 0) {
		done = l.finishTextLocked()
	}
	if l.chunk == nil {
		l.chunk = &linkText{severity: uint8(m.Severity), at: now}
		l.chunkID = m.Id
	}
	l.chunk.text += m.Text
	if len(m.Text) < 50 {
		done = l.finishTextLocked()
	}
	return done
}

// finishTextLocked completes the text being reassembled. PX4's Commander
// ends some texts in a tab or other padding ("Arming denied: Resolve system
// health failures first\t", PX4 v1.16.0): what an app or an operator reads
// is the text, so trailing white space and control characters are dropped.
func (l *vehicleLink) finishTextLocked() *linkText {
	t := l.chunk
	l.chunk = nil
	t.text = strings.TrimRightFunc(t.text, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) })
	l.textSeq++
	t.seq = l.textSeq
	l.texts = append(l.texts, *t)
	if len(l.texts) > textsKept {
		l.texts = append(l.texts[:0:0], l.texts[len(l.texts)-textsKept:]...)
	}
	return t
}

// clockRate estimates how fast the vehicle's clock runs against the wall
// clock, from the time_boot_ms of its telemetry.
type clockRate struct {
	anchorWall time.Time
	anchorBoot uint32
	rate       float64 // vehicle seconds per wall second; 0 unknown
}

// tickClock feeds a time_boot_ms sample; callers hold l.mu.
func (l *vehicleLink) tickClock(bootMs uint32, now time.Time) {
	c := &l.clock
	l.st.timeBootMs = bootMs
	if c.anchorWall.IsZero() || bootMs < c.anchorBoot {
		c.anchorWall, c.anchorBoot = now, bootMs // first sample, or the vehicle rebooted
		return
	}
	dw := now.Sub(c.anchorWall)
	if dw < clockWindow {
		return
	}
	r := float64(bootMs-c.anchorBoot) / 1000 / dw.Seconds()
	if r > 0 {
		if c.rate == 0 {
			c.rate = r
		} else {
			c.rate = (c.rate + r) / 2
		}
	}
	c.anchorWall, c.anchorBoot = now, bootMs
}

// heartbeatPeriod is one vehicle second in wall time, bounded.
func (l *vehicleLink) heartbeatPeriod() time.Duration {
	l.mu.Lock()
	r := l.clock.rate
	l.mu.Unlock()
	if r == 0 {
		return unmeasuredHeartbeat
	}
	return clampDuration(time.Duration(float64(time.Second)/r), minHeartbeatPeriod, maxHeartbeatPeriod)
}

// linkTimeoutLocked is three vehicle heartbeats (one per vehicle second)
// in wall time, bounded; the maximum until the clock rate is known.
func (l *vehicleLink) linkTimeoutLocked() time.Duration {
	if l.clock.rate == 0 {
		return maxLinkTimeout
	}
	return clampDuration(time.Duration(3*float64(time.Second)/l.clock.rate), minLinkTimeout, maxLinkTimeout)
}

func clampDuration(d, lo, hi time.Duration) time.Duration {
	return max(lo, min(hi, d))
}

// isUp reports whether the vehicle's heartbeats arrive.
func (l *vehicleLink) isUp() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.st.up
}

// flying reports whether the vehicle is armed and not known to be on the
// ground: the case for a failsafe when its pilot (the device) goes away.
func (l *vehicleLink) flying() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	armed := l.st.heartbeat.BaseMode&common.MAV_MODE_FLAG_SAFETY_ARMED != 0
	return l.st.heard && armed && (!l.st.hasLanded || l.st.landed != abi.LandedOnGround)
}

// homeAltitude is the vehicle's home altitude above mean sea level: from
// its global position (alt - relative_alt, current as soon as PX4 moves its
// home at arming), else from HOME_POSITION.
func (l *vehicleLink) homeAltitude() (float64, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	switch {
	case l.st.hasPosition:
		return l.st.altAMSL - l.st.relAlt, true
	case l.st.hasHome:
		return l.st.homeAMSL, true
	}
	return math.NaN(), false
}

// customMode is the mode of the last heartbeat.
func (l *vehicleLink) customMode() uint32 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.st.heartbeat.CustomMode
}
