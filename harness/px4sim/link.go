package px4sim

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"net"
	"reflect"
	"sync"
	"sync/atomic"

	"github.com/bluenviron/gomavlib/v3/pkg/dialect"
	"github.com/bluenviron/gomavlib/v3/pkg/dialects/common"
	"github.com/bluenviron/gomavlib/v3/pkg/frame"
	"github.com/bluenviron/gomavlib/v3/pkg/message"
	"github.com/bluenviron/gomavlib/v3/pkg/streamwriter"
)

// autopilotComponent is MAV_COMP_ID_AUTOPILOT1, PX4's component id.
const autopilotComponent = 1

// dialectRW is the shared, read-only common dialect codec.
var dialectRW = sync.OnceValue(func() *dialect.ReadWriter {
	rw := &dialect.ReadWriter{Dialect: common.Dialect}
	if err := rw.Initialize(); err != nil {
		panic(fmt.Sprintf("px4sim: common dialect: %v", err))
	}
	return rw
})

// link is one PX4 MAVLink UDP instance. It sends one MAVLink frame per
// datagram, to its configured remote until the first packet arrives and
// from then on only to that packet's source (PX4 latches its UDP partner
// once and never changes it).
type link struct {
	name    string
	conn    *net.UDPConn
	remote  *net.UDPAddr // nil: none configured
	streams *streamSet
	logf    func(format string, args ...any)

	mu      sync.Mutex
	partner *net.UDPAddr
	seen    map[[2]uint8]bool // components heard on this link

	// Encoding and STATUSTEXT state, used only by the simulation
	// goroutine.
	buf      bytes.Buffer
	fw       *frame.Writer
	sw       *streamwriter.Writer
	heardGCS bool         // a MAV_TYPE_GCS heartbeat arrived on this link
	lastGCS  int64        // simulated µs of the latest one
	texts    []queuedText // this link's subscription to the vehicle's texts
	textID   uint16       // id of the next STATUSTEXT this link sends

	sent, dropped, received, textsDropped atomic.Uint64
}

func newLink(name string, cfg LinkConfig, sysid uint8, streams *streamSet, logf func(string, ...any)) (*link, error) {
	laddr, err := net.ResolveUDPAddr("udp4", cfg.Bind)
	if err != nil {
		return nil, fmt.Errorf("px4sim: %s link bind %q: %w", name, cfg.Bind, err)
	}
	var remote *net.UDPAddr
	if cfg.Remote != NoRemote {
		if remote, err = net.ResolveUDPAddr("udp4", cfg.Remote); err != nil {
			return nil, fmt.Errorf("px4sim: %s link remote %q: %w", name, cfg.Remote, err)
		}
	}
	conn, err := net.ListenUDP("udp4", laddr)
	if err != nil {
		return nil, fmt.Errorf("px4sim: %s link: %w", name, err)
	}
	l := &link{name: name, conn: conn, remote: remote, streams: streams, logf: logf, seen: map[[2]uint8]bool{}}
	l.fw = &frame.Writer{ByteWriter: &l.buf, DialectRW: dialectRW()}
	if err := l.fw.Initialize(); err != nil {
		conn.Close()
		return nil, err
	}
	l.sw = &streamwriter.Writer{FrameWriter: l.fw, Version: streamwriter.V2, SystemID: sysid, ComponentID: autopilotComponent}
	if err := l.sw.Initialize(); err != nil {
		conn.Close()
		return nil, err
	}
	return l, nil
}

func (l *link) localAddr() *net.UDPAddr { return l.conn.LocalAddr().(*net.UDPAddr) }

// destination is where the link sends: the latched partner, else the
// configured remote, else nowhere.
func (l *link) destination() *net.UDPAddr {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.partner != nil {
		return l.partner
	}
	return l.remote
}

func (l *link) learn(src *net.UDPAddr) {
	l.mu.Lock()
	learned := l.partner == nil
	if learned {
		l.partner = src
	}
	l.mu.Unlock()
	if learned {
		l.logf("px4sim: %s link %v: partner %v", l.name, l.localAddr(), src)
	}
}

func (l *link) markSeen(sys, comp uint8) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.seen[[2]uint8{sys, comp}] = true
}

// componentWasSeen is PX4's MavlinkReceiver::component_was_seen, which
// decides whether a forwarded message is worth sending on this link.
func (l *link) componentWasSeen(sys, comp uint8) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if sys == 0 {
		return len(l.seen) > 0
	}
	for k := range l.seen {
		if k[0] == sys && (comp == 0 || k[1] == comp) {
			return true
		}
	}
	return false
}

// send encodes and sends a message from the vehicle.
func (l *link) send(msg message.Message) {
	dst := l.destination()
	if dst == nil {
		l.dropped.Add(1)
		return
	}
	l.buf.Reset()
	if err := l.sw.Write(msg); err != nil {
		l.dropped.Add(1)
		return
	}
	l.write(dst)
}

// forward re-sends a frame received on another link, keeping its
// original system id, component id and sequence number.
func (l *link) forward(fr frame.Frame) {
	dst := l.destination()
	if dst == nil {
		return
	}
	out, err := rawFrame(fr)
	if err != nil {
		return
	}
	l.buf.Reset()
	if err := l.fw.Write(out); err != nil {
		return
	}
	l.write(dst)
}

func (l *link) write(dst *net.UDPAddr) {
	if _, err := l.conn.WriteToUDP(l.buf.Bytes(), dst); err != nil {
		l.dropped.Add(1)
		return
	}
	l.sent.Add(1)
}

// rawFrame returns a copy of fr with its message encoded and its checksum
// recomputed, ready to be written unchanged.
func rawFrame(fr frame.Frame) (frame.Frame, error) {
	msg := fr.GetMessage()
	if _, ok := msg.(*message.MessageRaw); ok {
		return fr, nil
	}
	mp := dialectRW().GetMessage(msg.GetID())
	if mp == nil {
		return nil, errors.New("message not in dialect")
	}
	switch f := fr.(type) {
	case *frame.V1Frame:
		c := *f
		c.Message = mp.Write(msg, false)
		c.Checksum = c.GenerateChecksum(mp.CRCExtra())
		return &c, nil
	case *frame.V2Frame:
		c := *f
		c.Message = mp.Write(msg, true)
		c.Checksum = c.GenerateChecksum(mp.CRCExtra())
		return &c, nil
	}
	return nil, errors.New("unknown frame type")
}

// inbound is a frame received on a link.
type inbound struct {
	link  *link
	frame frame.Frame
}

// readLoop receives datagrams until the socket is closed, decoding every
// frame in each and passing it to deliver (which returns false to stop).
func (l *link) readLoop(deliver func(inbound) bool) {
	buf := make([]byte, 65536)
	for {
		n, src, err := l.conn.ReadFromUDP(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		l.received.Add(1)
		l.learn(src)
		pkt := bytes.Clone(buf[:n])
		r := &frame.Reader{BufByteReader: bufio.NewReaderSize(bytes.NewReader(pkt), 512), DialectRW: dialectRW()}
		if err := r.Initialize(); err != nil {
			continue
		}
		for {
			fr, err := r.Read()
			if err != nil {
				var re frame.ReadError
				if errors.As(err, &re) {
					continue // skip garbage, keep scanning the datagram
				}
				break
			}
			l.markSeen(fr.GetSystemID(), fr.GetComponentID())
			if !deliver(inbound{link: l, frame: fr}) {
				return
			}
		}
	}
}

// messageTarget extracts target_system and target_component when the
// message has them (0, 0 otherwise).
func messageTarget(msg message.Message) (sys, comp uint8) {
	v := reflect.ValueOf(msg)
	if v.Kind() != reflect.Pointer || v.Elem().Kind() != reflect.Struct {
		return 0, 0
	}
	v = v.Elem()
	if f := v.FieldByName("TargetSystem"); f.IsValid() && f.Kind() == reflect.Uint8 {
		sys = uint8(f.Uint())
	}
	if f := v.FieldByName("TargetComponent"); f.IsValid() && f.Kind() == reflect.Uint8 {
		comp = uint8(f.Uint())
	}
	return sys, comp
}
