package px4sim

import (
	"errors"
	"math"
	"net"
	"sync"
	"time"

	"github.com/bluenviron/gomavlib/v3/pkg/dialects/common"
	"github.com/bluenviron/gomavlib/v3/pkg/frame"
)

// Wall-clock pacing of the simulation loop.
const (
	tickPeriod  = 2 * time.Millisecond
	maxCatchUp  = 100 * time.Millisecond // a stalled process loses sim time rather than bursting
	inboxLength = 256
)

// Commands handled by PX4's MAVLink module rather than by commander.
const (
	cmdGetMessageInterval      = 510
	cmdSetMessageInterval      = 511
	cmdRequestMessage          = 512
	cmdRequestAutopilotVersion = 520
)

// Sim is one simulated PX4 vehicle with its two MAVLink links.
type Sim struct {
	cfg   Config
	veh   *vehicle // owned by the run goroutine once started
	gcs   *link
	api   *link
	links []*link

	inbox chan inbound
	stop  chan struct{}
	wg    sync.WaitGroup

	mu      sync.Mutex
	state   State
	started bool
	closed  bool

	dueBuf []uint32
}

// New creates a vehicle and binds its links; Start runs it.
func New(cfg Config) (*Sim, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	gcs, err := newLink("gcs", cfg.GCS, cfg.SystemID, newStreamSet(false, cfg.SpeedFactor, cfg.LinkBudget), cfg.Logf)
	if err != nil {
		return nil, err
	}
	api, err := newLink("api", cfg.API, cfg.SystemID, newStreamSet(true, cfg.SpeedFactor, cfg.LinkBudget), cfg.Logf)
	if err != nil {
		gcs.conn.Close()
		return nil, err
	}
	s := &Sim{
		cfg:   cfg,
		veh:   newVehicle(cfg),
		gcs:   gcs,
		api:   api,
		links: []*link{gcs, api},
		inbox: make(chan inbound, inboxLength),
		stop:  make(chan struct{}),
	}
	s.state = s.veh.state()
	return s, nil
}

// Config is the effective configuration, defaults filled in.
func (s *Sim) Config() Config { return s.cfg }

// SystemID is the vehicle's MAVLink system id.
func (s *Sim) SystemID() uint8 { return s.cfg.SystemID }

// GCSAddr is the bound address of the GCS link (PX4's 18570+i).
func (s *Sim) GCSAddr() *net.UDPAddr { return s.gcs.localAddr() }

// APIAddr is the bound address of the onboard/API link (PX4's 14580+i).
func (s *Sim) APIAddr() *net.UDPAddr { return s.api.localAddr() }

// State is a snapshot of the vehicle, updated after every batch of
// physics steps. Only the simulator's own tests should use it.
func (s *Sim) State() State {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.state
}

// Start runs the vehicle: it boots (simulated time starts at zero) and
// begins sending telemetry.
func (s *Sim) Start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return errors.New("px4sim: start after close")
	}
	if s.started {
		return errors.New("px4sim: already started")
	}
	s.started = true
	for _, l := range s.links {
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			l.readLoop(s.deliver)
		}()
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		s.run()
	}()
	return nil
}

// Close stops the vehicle, closes its sockets and waits for every
// goroutine to end. It is safe to call more than once.
func (s *Sim) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	s.mu.Unlock()
	close(s.stop)
	var err error
	for _, l := range s.links {
		err = errors.Join(err, l.conn.Close())
	}
	s.wg.Wait()
	return err
}

func (s *Sim) deliver(in inbound) bool {
	select {
	case s.inbox <- in:
		return true
	case <-s.stop:
		return false
	}
}

// run paces the simulation against the wall clock and handles inbound
// frames between physics steps.
func (s *Sim) run() {
	ticker := time.NewTicker(tickPeriod)
	defer ticker.Stop()
	last := time.Now()
	owed := 0.0 // simulated µs not yet stepped
	for {
		select {
		case <-s.stop:
			return
		case in := <-s.inbox:
			s.handle(in)
		case now := <-ticker.C:
			dt := min(now.Sub(last), maxCatchUp)
			last = now
			owed += float64(dt.Microseconds()) * s.cfg.SpeedFactor
			n := int(math.Floor(owed / stepUs))
			owed -= float64(n) * stepUs
			s.advance(n)
		}
	}
}

// advance runs n physics steps, sending the telemetry that falls due.
func (s *Sim) advance(n int) {
	for range n {
		s.veh.step()
		s.flushTexts()
		for _, l := range s.links {
			s.dueBuf = l.streams.due(s.veh.now, s.dueBuf[:0])
			for _, id := range s.dueBuf {
				if msg := s.veh.buildMessage(id); msg != nil {
					l.send(msg)
				}
			}
		}
	}
	st := s.veh.state()
	s.mu.Lock()
	s.state = st
	s.mu.Unlock()
}

// flushTexts hands the vehicle's new texts to every link's subscription
// and lets each link send what its ground station may see (fact 2, see
// statustext.go).
func (s *Sim) flushTexts() {
	now := s.veh.now
	for _, t := range s.veh.takeTexts() {
		for _, l := range s.links {
			l.queueText(t, now)
		}
	}
	for _, l := range s.links {
		l.flushTexts(now)
	}
}

// handle processes one received frame.
func (s *Sim) handle(in inbound) {
	s.forward(in)
	fr := in.frame
	switch m := fr.GetMessage().(type) {
	case *common.MessageHeartbeat:
		if m.Type == common.MAV_TYPE_GCS {
			in.link.gcsHeartbeat(s.veh.now)
			s.veh.gcsHeartbeat()
		}
	case *common.MessageCommandLong:
		if s.targeted(m.TargetSystem, m.TargetComponent) {
			c := command{id: uint16(m.Command), sourceSystem: fr.GetSystemID(), sourceComponent: fr.GetComponentID()}
			for i, p := range []float32{m.Param1, m.Param2, m.Param3, m.Param4, m.Param5, m.Param6, m.Param7} {
				c.p[i] = float64(p)
			}
			s.command(in.link, c)
		}
	case *common.MessageCommandInt:
		if s.targeted(m.TargetSystem, m.TargetComponent) {
			s.command(in.link, s.fromCommandInt(m, fr))
		}
	case *common.MessageSetMode:
		if m.TargetSystem == s.cfg.SystemID {
			// PX4 turns SET_MODE into DO_SET_MODE; only commander answers.
			c := command{id: cmdDoSetMode, sourceSystem: fr.GetSystemID(), sourceComponent: fr.GetComponentID()}
			c.p[0] = float64(m.BaseMode)
			c.p[1] = float64(m.CustomMode >> 16 & 0xff)
			c.p[2] = float64(m.CustomMode >> 24 & 0xff)
			results := s.veh.handleCommand(c)
			s.flushTexts()
			s.ackCommander(c, results[len(results)-1])
		}
	case *common.MessageTimesync:
		if m.Tc1 == 0 {
			in.link.send(&common.MessageTimesync{
				Tc1: s.veh.now * 1000, Ts1: m.Ts1,
				TargetSystem: fr.GetSystemID(), TargetComponent: fr.GetComponentID(),
			})
		}
	}
	s.flushTexts()
}

// targeted reports whether a command is for this vehicle's autopilot.
func (s *Sim) targeted(sys, comp uint8) bool {
	return (sys == s.cfg.SystemID || sys == 0) && (comp == autopilotComponent || comp == 0)
}

// fromCommandInt normalises a COMMAND_INT: x/y are degrees·1e7 and z is
// converted to AMSL according to the frame.
func (s *Sim) fromCommandInt(m *common.MessageCommandInt, fr frame.Frame) command {
	c := command{id: uint16(m.Command), sourceSystem: fr.GetSystemID(), sourceComponent: fr.GetComponentID()}
	c.p[0], c.p[1], c.p[2], c.p[3] = float64(m.Param1), float64(m.Param2), float64(m.Param3), float64(m.Param4)
	c.p[4], c.p[5] = math.NaN(), math.NaN()
	if m.X != 0 || m.Y != 0 {
		c.p[4], c.p[5] = float64(m.X)/1e7, float64(m.Y)/1e7
	}
	c.p[6] = float64(m.Z)
	switch m.Frame {
	case common.MAV_FRAME_GLOBAL_RELATIVE_ALT, common.MAV_FRAME_GLOBAL_RELATIVE_ALT_INT:
		c.p[6] += s.veh.origin.alt - s.veh.home.pos.d
	}
	return c
}

// command executes a command and acknowledges it. The MAVLink module's
// own commands are answered by the receiving link; commander's go through
// PX4's vehicle_command_ack topic (see ackCommander).
func (s *Sim) command(l *link, c command) {
	var results []uint8
	module := true
	switch c.id {
	case cmdSetMessageInterval:
		id := uint32(c.p[0])
		if !l.streams.streamable(id) {
			results = []uint8{resultFailed}
			break
		}
		l.streams.setInterval(id, c.p[1])
		results = []uint8{resultAccepted}
	case cmdGetMessageInterval:
		id := uint32(c.p[0])
		iv := int32(0)
		if l.streams.streamable(id) {
			iv = l.streams.configuredInterval(id)
		}
		l.send(&common.MessageMessageInterval{MessageId: uint16(id), IntervalUs: iv})
		results = []uint8{resultAccepted}
	case cmdRequestMessage, cmdRequestAutopilotVersion:
		id := uint32(c.p[0])
		if c.id == cmdRequestAutopilotVersion {
			id = msgAutopilotVersion
		}
		msg := s.veh.buildMessage(id)
		if !requestable[id] || msg == nil {
			results = []uint8{resultDenied}
			break
		}
		l.send(msg)
		results = []uint8{resultAccepted}
	default:
		module = false
		results = s.veh.handleCommand(c)
	}
	s.flushTexts()
	for _, r := range results {
		if module {
			l.send(ackMessage(c, r))
		} else {
			s.ackCommander(c, r)
		}
	}
}

// ackMessage is the COMMAND_ACK for c, addressed to its sender.
func ackMessage(c command, result uint8) *common.MessageCommandAck {
	return &common.MessageCommandAck{
		Command:         common.MAV_CMD(c.id),
		Result:          common.MAV_RESULT(result),
		TargetSystem:    c.sourceSystem,
		TargetComponent: c.sourceComponent,
	}
}

// ackCommander sends commander's COMMAND_ACK for c the way PX4 v1.16 does
// (issue 18, fact 3): only on a link where the command's sender, system
// and component, has been heard, which is the link the command came in on.
// An observer on another link sees no acks.
func (s *Sim) ackCommander(c command, result uint8) {
	msg := ackMessage(c, result)
	for _, l := range s.links {
		if l.componentWasSeen(c.sourceSystem, c.sourceComponent) {
			l.send(msg)
		}
	}
}

// forward passes a received frame on to the other link unless it is
// addressed to this vehicle's autopilot, following PX4's
// Mavlink::forward_message (heartbeats included: MAV_HB_FORW_EN=1).
func (s *Sim) forward(in inbound) {
	sys, comp := messageTarget(in.frame.GetMessage())
	if sys == s.cfg.SystemID && comp == autopilotComponent {
		return
	}
	for _, l := range s.links {
		if l != in.link && l.componentWasSeen(sys, comp) {
			l.forward(in.frame)
		}
	}
}

// LinkStats counts a link's datagrams.
type LinkStats struct {
	Sent, Dropped, Received uint64
	// TextsDropped counts texts that went stale (older than 5 s) in the
	// link's queue because no ground station was connected to it.
	TextsDropped uint64
}

// GCSStats are the GCS link's counters.
func (s *Sim) GCSStats() LinkStats { return s.gcs.stats() }

// APIStats are the API link's counters.
func (s *Sim) APIStats() LinkStats { return s.api.stats() }

func (l *link) stats() LinkStats {
	return LinkStats{Sent: l.sent.Load(), Dropped: l.dropped.Load(), Received: l.received.Load(), TextsDropped: l.textsDropped.Load()}
}
