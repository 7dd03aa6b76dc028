package vehiclebridge

import (
	"math"
	"sync"
	"testing"
	"time"

	"github.com/bluenviron/gomavlib/v3"
	"github.com/bluenviron/gomavlib/v3/pkg/dialects/common"
	"github.com/bluenviron/gomavlib/v3/pkg/message"
)

// vehiclePeer is the link's counterpart in these tests: a real MAVLink
// vehicle endpoint (a gomavlib node, MAVLink 2, common dialect) that
// streams heartbeats and telemetry stamped with a vehicle clock running
// speed times wall time, and answers each COMMAND_LONG the way the test's
// respond function says. It models no autopilot beyond that: flying the
// bridge against a PX4-faithful vehicle (harness/px4sim, or PX4 SITL) is
// the px4 scenarios' job, through the gateway's public interfaces.
type vehiclePeer struct {
	node  *gomavlib.Node
	sysid uint8
	speed float64
	start time.Time
	stop  chan struct{}
	wg    sync.WaitGroup

	mu       sync.Mutex
	st       peerState
	silent   bool // the link is cut: the vehicle sends and hears nothing
	respond  func(p *vehiclePeer, c *common.MessageCommandLong)
	commands []common.MessageCommandLong
	gcsBeats []gcsBeat
}

// peerState is what the vehicle reports.
type peerState struct {
	mode     uint32 // HEARTBEAT.custom_mode
	armed    bool
	homeAMSL float64
	relAlt   float64
	landed   common.MAV_LANDED_STATE
}

// gcsBeat is a HEARTBEAT the vehicle heard, with its sender.
type gcsBeat struct {
	sysid, compid uint8
	typ           common.MAV_TYPE
}

const (
	px4Loiter = 0x03040000 // AUTO.LOITER
	px4Manual = 0x00010000 // MANUAL
	peerSysID = 7
)

// newVehiclePeer starts a vehicle that sends to the link's udp-listen
// address linkAddr and answers commands with respond.
func newVehiclePeer(t *testing.T, linkAddr string, speed float64, respond func(*vehiclePeer, *common.MessageCommandLong)) *vehiclePeer {
	t.Helper()
	p := &vehiclePeer{
		sysid: peerSysID, speed: speed, start: time.Now(), stop: make(chan struct{}), respond: respond,
		st: peerState{mode: px4Loiter, homeAMSL: 488.5, landed: common.MAV_LANDED_STATE_ON_GROUND},
		node: &gomavlib.Node{
			Endpoints:        []gomavlib.EndpointConf{gomavlib.EndpointUDPClient{Address: linkAddr}},
			Dialect:          common.Dialect,
			OutVersion:       gomavlib.V2,
			OutSystemID:      peerSysID,
			OutComponentID:   autopilotComponent,
			HeartbeatDisable: true, // it sends its own, on vehicle time
		},
	}
	if err := p.node.Initialize(); err != nil {
		t.Fatal(err)
	}
	p.wg.Add(2)
	go p.readLoop()
	go p.streamLoop()
	t.Cleanup(p.close)
	return p
}

func (p *vehiclePeer) close() {
	close(p.stop)
	p.node.Close()
	p.wg.Wait()
}

// bootMs is the vehicle clock.
func (p *vehiclePeer) bootMs() uint32 {
	return uint32(float64(time.Since(p.start).Milliseconds()) * p.speed)
}

func (p *vehiclePeer) readLoop() {
	defer p.wg.Done()
	for evt := range p.node.Events() {
		fr, ok := evt.(*gomavlib.EventFrame)
		if !ok {
			continue
		}
		p.mu.Lock()
		silent := p.silent
		p.mu.Unlock()
		if silent {
			continue
		}
		switch m := fr.Message().(type) {
		case *common.MessageHeartbeat:
			p.mu.Lock()
			p.gcsBeats = append(p.gcsBeats, gcsBeat{fr.SystemID(), fr.ComponentID(), m.Type})
			p.mu.Unlock()
		case *common.MessageCommandLong:
			if m.TargetSystem != p.sysid {
				continue
			}
			p.mu.Lock()
			p.commands = append(p.commands, *m)
			respond := p.respond
			p.mu.Unlock()
			if respond != nil {
				respond(p, m)
			}
		}
	}
}

// streamLoop sends a heartbeat, landed state and battery once per vehicle
// second, and position and attitude every 10 ms of wall time.
func (p *vehiclePeer) streamLoop() {
	defer p.wg.Done()
	t := time.NewTicker(10 * time.Millisecond)
	defer t.Stop()
	var lastBeat uint32
	first := true
	for {
		select {
		case <-p.stop:
			return
		case <-t.C:
		}
		p.mu.Lock()
		st, silent := p.st, p.silent
		p.mu.Unlock()
		if silent {
			continue
		}
		now := p.bootMs()
		if first || now-lastBeat >= 1000 {
			first, lastBeat = false, now
			p.send(p.heartbeat(st))
			p.send(&common.MessageExtendedSysState{LandedState: st.landed})
			p.send(&common.MessageSysStatus{VoltageBattery: 16200, CurrentBattery: -1, BatteryRemaining: 90})
		}
		p.send(&common.MessageGlobalPositionInt{
			TimeBootMs: now, Lat: 473977420, Lon: 85455940,
			Alt: int32(math.Round((st.homeAMSL + st.relAlt) * 1000)), RelativeAlt: int32(math.Round(st.relAlt * 1000)),
			Hdg: math.MaxUint16,
		})
		p.send(&common.MessageAttitude{TimeBootMs: now, Yaw: 1.5})
	}
}

func (p *vehiclePeer) heartbeat(st peerState) *common.MessageHeartbeat {
	base := common.MAV_MODE_FLAG_CUSTOM_MODE_ENABLED
	if st.armed {
		base |= common.MAV_MODE_FLAG_SAFETY_ARMED
	}
	return &common.MessageHeartbeat{
		Type: common.MAV_TYPE_QUADROTOR, Autopilot: common.MAV_AUTOPILOT_PX4, BaseMode: base,
		CustomMode: st.mode, SystemStatus: common.MAV_STATE_STANDBY, MavlinkVersion: 3,
	}
}

func (p *vehiclePeer) send(m message.Message) {
	_ = p.node.WriteMessageAll(m)
}

// ack answers c with result, addressed to the ground station that sent it.
func (p *vehiclePeer) ack(c *common.MessageCommandLong, result common.MAV_RESULT) {
	p.send(&common.MessageCommandAck{Command: c.Command, Result: result, TargetSystem: gatewaySystemID, TargetComponent: gatewayComponentID})
}

// text sends a STATUSTEXT, in chunks of 50 bytes as MAVLink 2 does.
func (p *vehiclePeer) text(severity common.MAV_SEVERITY, s string, id uint16) {
	for seq := 0; ; seq++ {
		chunk := s[min(seq*50, len(s)):min((seq+1)*50, len(s))]
		p.send(&common.MessageStatustext{Severity: severity, Text: chunk, Id: id, ChunkSeq: uint8(seq)})
		if len(chunk) < 50 {
			return
		}
	}
}

// update changes the vehicle's state.
func (p *vehiclePeer) update(f func(*peerState)) {
	p.mu.Lock()
	f(&p.st)
	p.mu.Unlock()
}

// cut silences the vehicle both ways, as a lost radio link would;
// restore ends it.
func (p *vehiclePeer) cut()     { p.mu.Lock(); p.silent = true; p.mu.Unlock() }
func (p *vehiclePeer) restore() { p.mu.Lock(); p.silent = false; p.mu.Unlock() }

// received returns the COMMAND_LONGs the vehicle heard.
func (p *vehiclePeer) received() []common.MessageCommandLong {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]common.MessageCommandLong(nil), p.commands...)
}

// heardGCS returns the HEARTBEATs the vehicle heard.
func (p *vehiclePeer) heardGCS() []gcsBeat {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]gcsBeat(nil), p.gcsBeats...)
}

// acceptAll acknowledges every command as ACCEPTED.
func acceptAll(p *vehiclePeer, c *common.MessageCommandLong) { p.ack(c, common.MAV_RESULT_ACCEPTED) }
