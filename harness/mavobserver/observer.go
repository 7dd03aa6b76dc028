package mavobserver

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/bluenviron/gomavlib/v3"
	"github.com/bluenviron/gomavlib/v3/pkg/dialects/common"
	"github.com/bluenviron/gomavlib/v3/pkg/frame"
)

// Config configures an Observer.
type Config struct {
	// Listen is the local UDP address: where the vehicles' GCS links send
	// (PX4's send to 127.0.0.1:14550, where QGroundControl listens).
	// Default "127.0.0.1:0".
	Listen string
	// Vehicles are the GCS-link addresses (PX4's 127.0.0.1:18570+i) of
	// the vehicles to be a ground station for from the start; AddVehicle
	// adds more. With none, the observer sends nothing and only listens,
	// and then hears no STATUSTEXT (see the package documentation).
	Vehicles []string
	// SystemID is the observer's system id. Default 255, a ground
	// station's (its component is MAV_COMP_ID_MISSIONPLANNER, 190, like
	// QGroundControl's).
	SystemID uint8
	// HeartbeatPeriod is the wall time between the observer's GCS
	// heartbeats. Default 1s, QGroundControl's rate against a vehicle
	// running in real time. PX4 measures its 2.5 s in its own clock, so for
	// a vehicle running SpeedFactor times faster use a second of vehicle
	// time, time.Second/SpeedFactor.
	HeartbeatPeriod time.Duration
	// MaxStatusTexts bounds the texts kept per vehicle. Default 1000.
	MaxStatusTexts int
}

// Observer tracks every vehicle it hears on one UDP endpoint, and is a
// ground station for the vehicles it is given.
type Observer struct {
	cfg  Config
	conn *net.UDPConn
	node *gomavlib.Node
	gcs  *groundStation
	done chan struct{}

	mu        sync.Mutex
	vehicles  map[uint8]*Vehicle
	chunks    map[[2]uint16]chunked
	recorders map[*Recorder]struct{}
	changed   chan struct{} // closed and replaced on every update
	closed    bool
}

// chunked is a STATUSTEXT being reassembled.
type chunked struct {
	severity uint8
	text     string
}

// New binds the observer and starts tracking.
func New(cfg Config) (*Observer, error) {
	if cfg.Listen == "" {
		cfg.Listen = "127.0.0.1:0"
	}
	if cfg.SystemID == 0 {
		cfg.SystemID = 255
	}
	if cfg.HeartbeatPeriod == 0 {
		cfg.HeartbeatPeriod = time.Second
	}
	if cfg.MaxStatusTexts == 0 {
		cfg.MaxStatusTexts = 1000
	}
	if cfg.HeartbeatPeriod < 0 {
		return nil, fmt.Errorf("mavobserver: negative heartbeat period %v", cfg.HeartbeatPeriod)
	}
	laddr, err := net.ResolveUDPAddr("udp4", cfg.Listen)
	if err != nil {
		return nil, fmt.Errorf("mavobserver: listen %q: %w", cfg.Listen, err)
	}
	var vehicles []*net.UDPAddr
	for _, v := range cfg.Vehicles {
		a, err := net.ResolveUDPAddr("udp4", v)
		if err != nil {
			return nil, fmt.Errorf("mavobserver: vehicle %q: %w", v, err)
		}
		vehicles = append(vehicles, a)
	}
	conn, err := net.ListenUDP("udp4", laddr)
	if err != nil {
		return nil, fmt.Errorf("mavobserver: %w", err)
	}
	gcs, err := newGroundStation(conn, cfg.SystemID, cfg.HeartbeatPeriod)
	if err != nil {
		conn.Close()
		return nil, err
	}
	node := &gomavlib.Node{
		Endpoints:   []gomavlib.EndpointConf{gomavlib.EndpointCustom{ReadWriteCloser: &udpEndpoint{conn: conn}}},
		Dialect:     common.Dialect,
		OutVersion:  gomavlib.V2,
		OutSystemID: cfg.SystemID,
		// The ground station sends its own heartbeats (groundstation.go).
		HeartbeatDisable: true,
	}
	if err := node.Initialize(); err != nil {
		conn.Close()
		return nil, fmt.Errorf("mavobserver: %w", err)
	}
	o := &Observer{
		cfg:       cfg,
		conn:      conn,
		node:      node,
		gcs:       gcs,
		done:      make(chan struct{}),
		vehicles:  map[uint8]*Vehicle{},
		chunks:    map[[2]uint16]chunked{},
		recorders: map[*Recorder]struct{}{},
		changed:   make(chan struct{}),
	}
	go o.loop()
	for _, a := range vehicles {
		gcs.add(a)
	}
	gcs.start()
	return o, nil
}

// AddVehicle makes the observer a ground station for the vehicle whose GCS
// link listens at addr (PX4's 127.0.0.1:18570+i): it sends its heartbeats
// there from now on, the first at once. The link latches the observer's
// address as its partner, as PX4 does with the first sender it hears.
func (o *Observer) AddVehicle(addr string) error {
	a, err := net.ResolveUDPAddr("udp4", addr)
	if err != nil {
		return fmt.Errorf("mavobserver: vehicle %q: %w", addr, err)
	}
	o.gcs.add(a)
	return nil
}

// StopHeartbeats makes the observer fall silent as a ground station, for
// a scenario that takes every ground station away from a vehicle (PX4
// counts a GCS heartbeat on any link). Without heartbeats the observer
// soon hears no STATUSTEXT; it still sees telemetry.
func (o *Observer) StopHeartbeats() { o.gcs.stop() }

// StartHeartbeats resumes the heartbeats, the first at once.
func (o *Observer) StartHeartbeats() { o.gcs.resume() }

// Addr is the observer's local address.
func (o *Observer) Addr() *net.UDPAddr { return o.conn.LocalAddr().(*net.UDPAddr) }

// Close stops the observer and releases its socket. Safe to call twice.
func (o *Observer) Close() error {
	o.mu.Lock()
	if o.closed {
		o.mu.Unlock()
		return nil
	}
	o.closed = true
	o.mu.Unlock()
	o.gcs.close()
	o.node.Close()
	<-o.done
	return nil
}

// udpEndpoint adapts the UDP socket to gomavlib's custom endpoint: it
// reads datagrams from anyone. The node never writes (the ground station
// sends its heartbeats itself); anything it would is dropped.
type udpEndpoint struct {
	conn *net.UDPConn
}

func (u *udpEndpoint) Read(p []byte) (int, error) {
	n, _, err := u.conn.ReadFromUDP(p)
	return n, err
}

func (u *udpEndpoint) Write(p []byte) (int, error) { return len(p), nil }

func (u *udpEndpoint) Close() error { return u.conn.Close() }

func (o *Observer) loop() {
	defer close(o.done)
	for evt := range o.node.Events() {
		if ef, ok := evt.(*gomavlib.EventFrame); ok {
			o.update(ef.Frame, time.Now())
		}
	}
}

// autopilotComponent is MAV_COMP_ID_AUTOPILOT1: telemetry is taken only
// from a system's flight controller.
const autopilotComponent = 1

func (o *Observer) update(fr frame.Frame, now time.Time) {
	if fr.GetComponentID() != autopilotComponent {
		return
	}
	sys := fr.GetSystemID()
	o.mu.Lock()
	defer o.mu.Unlock()
	v := o.vehicles[sys]
	if v == nil {
		v = &Vehicle{SystemID: sys, BatteryRemaining: -1, MessageCounts: map[uint32]int{}}
		o.vehicles[sys] = v
	}
	msg := fr.GetMessage()
	v.MessageCounts[msg.GetID()]++
	switch m := msg.(type) {
	case *common.MessageHeartbeat:
		v.Type = uint8(m.Type)
		v.Autopilot = uint8(m.Autopilot)
		v.BaseMode = uint8(m.BaseMode)
		v.CustomMode = m.CustomMode
		v.Armed = m.BaseMode&common.MAV_MODE_FLAG_SAFETY_ARMED != 0
		v.SystemStatus = uint8(m.SystemStatus)
		v.Mode = ""
		if m.Autopilot == autopilotPX4 {
			v.Mode = PX4ModeName(m.CustomMode)
		}
		v.Heartbeats++
		v.LastHeartbeat = now
	case *common.MessageExtendedSysState:
		v.LandedState = LandedState(m.LandedState)
		v.HasLandedState = true
	case *common.MessageGlobalPositionInt:
		v.TimeBoot, v.TimeBootAt = time.Duration(m.TimeBootMs)*time.Millisecond, now
		v.Lat, v.Lon = float64(m.Lat)/1e7, float64(m.Lon)/1e7
		v.AltAMSL, v.AltRel = float64(m.Alt)/1000, float64(m.RelativeAlt)/1000
		v.HasGlobalPosition = true
		s := Sample{TimeBoot: v.TimeBoot, Lat: v.Lat, Lon: v.Lon, AltAMSL: v.AltAMSL, AltRel: v.AltRel,
			Mode: v.Mode, Armed: v.Armed, LandedState: v.LandedState, SystemStatus: v.SystemStatus}
		for r := range o.recorders {
			if r.sysid == sys {
				r.add(s)
			}
		}
	case *common.MessageLocalPositionNed:
		v.TimeBoot, v.TimeBootAt = time.Duration(m.TimeBootMs)*time.Millisecond, now
		v.North, v.East, v.Down = float64(m.X), float64(m.Y), float64(m.Z)
		v.VelN, v.VelE, v.VelD = float64(m.Vx), float64(m.Vy), float64(m.Vz)
		v.HasLocalPosition = true
	case *common.MessageAttitude:
		v.TimeBoot, v.TimeBootAt = time.Duration(m.TimeBootMs)*time.Millisecond, now
	case *common.MessageSysStatus:
		const prearm = common.MAV_SYS_STATUS_PREARM_CHECK
		v.ReadyToArm = m.OnboardControlSensorsPresent&prearm != 0 && m.OnboardControlSensorsEnabled&prearm != 0 &&
			m.OnboardControlSensorsHealth&prearm != 0
		v.HasSysStatus = true
		if v.MessageCounts[147] == 0 { // no BATTERY_STATUS yet
			v.BatteryRemaining = int(m.BatteryRemaining)
			if m.VoltageBattery != 0xffff {
				v.BatteryVoltage = float64(m.VoltageBattery) / 1000
			}
		}
	case *common.MessageBatteryStatus:
		v.BatteryRemaining = int(m.BatteryRemaining)
		total := 0.0
		for _, mv := range m.Voltages {
			if mv != 0xffff {
				total += float64(mv) / 1000
			}
		}
		v.BatteryVoltage = total
	case *common.MessageHomePosition:
		v.HomeLat, v.HomeLon, v.HomeAlt = float64(m.Latitude)/1e7, float64(m.Longitude)/1e7, float64(m.Altitude)/1000
		v.HasHome = true
	case *common.MessageStatustext:
		o.addText(v, m, now)
	}
	close(o.changed)
	o.changed = make(chan struct{})
}

// addText reassembles STATUSTEXTs. PX4 numbers every text (id) and
// splits texts longer than the 50-byte field into chunks (chunk_seq); a
// chunk shorter than 50 bytes ends its text. A text that fills its chunks
// exactly has no end marker, so it is completed when the next text from
// the same system starts.
func (o *Observer) addText(v *Vehicle, m *common.MessageStatustext, now time.Time) {
	key := [2]uint16{uint16(v.SystemID), m.Id}
	for k, c := range o.chunks {
		if k[0] == key[0] && k != key {
			delete(o.chunks, k)
			o.appendText(v, c.severity, c.text, now)
		}
	}
	c := o.chunks[key]
	if m.ChunkSeq == 0 {
		c = chunked{severity: uint8(m.Severity)}
	}
	c.text += m.Text
	if len(m.Text) == 50 {
		o.chunks[key] = c
		return
	}
	delete(o.chunks, key)
	o.appendText(v, c.severity, c.text, now)
}

func (o *Observer) appendText(v *Vehicle, severity uint8, text string, now time.Time) {
	v.TextCount++
	v.StatusTexts = append(v.StatusTexts, StatusText{Seq: v.TextCount, Severity: severity, Text: text, TimeBoot: v.TimeBoot, Received: now})
	if n := len(v.StatusTexts) - o.cfg.MaxStatusTexts; n > 0 {
		v.StatusTexts = append(v.StatusTexts[:0:0], v.StatusTexts[n:]...)
	}
}

// Vehicle returns what is known about sysid.
func (o *Observer) Vehicle(sysid uint8) (Vehicle, bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	v, ok := o.vehicles[sysid]
	if !ok {
		return Vehicle{}, false
	}
	return v.clone(), true
}

// Vehicles returns every flight controller heard, by system id.
func (o *Observer) Vehicles() []Vehicle {
	o.mu.Lock()
	defer o.mu.Unlock()
	var out []Vehicle
	for sys := 0; sys < 256; sys++ {
		if v, ok := o.vehicles[uint8(sys)]; ok && v.IsAutopilot() {
			out = append(out, v.clone())
		}
	}
	return out
}

// ErrClosed is returned by waits on a closed observer.
var ErrClosed = errors.New("mavobserver: closed")

// WaitFor blocks until sysid's state satisfies cond (checked on every
// message from any system), ctx ends or the observer closes.
func (o *Observer) WaitFor(ctx context.Context, sysid uint8, cond func(Vehicle) bool) (Vehicle, error) {
	for {
		o.mu.Lock()
		closed := o.closed
		changed := o.changed
		var snap Vehicle
		v, ok := o.vehicles[sysid]
		if ok {
			snap = v.clone()
		}
		o.mu.Unlock()
		if ok && cond(snap) {
			return snap, nil
		}
		if closed {
			return snap, ErrClosed
		}
		select {
		case <-changed:
		case <-o.done:
			return snap, ErrClosed
		case <-ctx.Done():
			return snap, fmt.Errorf("mavobserver: waiting for system %d: %w", sysid, ctx.Err())
		}
	}
}

// WaitText waits for a STATUSTEXT containing s from sysid whose Seq is
// greater than after (0: any) and returns it.
func (o *Observer) WaitText(ctx context.Context, sysid uint8, s string, after int) (StatusText, error) {
	v, err := o.WaitFor(ctx, sysid, func(v Vehicle) bool {
		_, ok := v.TextAfter(s, after)
		return ok
	})
	if err != nil {
		return StatusText{}, err
	}
	t, _ := v.TextAfter(s, after)
	return t, nil
}
