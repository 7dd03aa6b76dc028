package px4sitl

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/bluenviron/gomavlib/v3/pkg/dialect"
	"github.com/bluenviron/gomavlib/v3/pkg/dialects/common"
	"github.com/bluenviron/gomavlib/v3/pkg/frame"
)

var dialectRW = sync.OnceValue(func() *dialect.ReadWriter {
	rw := &dialect.ReadWriter{Dialect: common.Dialect}
	if err := rw.Initialize(); err != nil {
		panic(err)
	}
	return rw
})

// ReadyWaiter listens where a PX4 link sends and recognises readiness the
// way a ground station can: a HEARTBEAT from the autopilot and a SYS_STATUS
// whose MAV_SYS_STATUS_PREARM_CHECK bit is present, enabled and healthy.
// PX4 v1.16 prints "Ready for takeoff!" on its console only, never as a
// STATUSTEXT, and turns the bit on at the same moment (issue 18, fact 1).
// The waiter never sends anything, so it neither latches the link nor
// looks like a ground station.
type ReadyWaiter struct {
	conn *net.UDPConn
}

// ListenReady binds a waiter where the instance will send, before PX4
// starts (or at any time: SYS_STATUS is streamed).
func ListenReady(addr string) (*ReadyWaiter, error) {
	a, err := net.ResolveUDPAddr("udp4", addr)
	if err != nil {
		return nil, fmt.Errorf("px4sitl: ready listener %q: %w", addr, err)
	}
	conn, err := net.ListenUDP("udp4", a)
	if err != nil {
		return nil, fmt.Errorf("px4sitl: ready listener: %w", err)
	}
	return &ReadyWaiter{conn: conn}, nil
}

// Addr is the waiter's address.
func (w *ReadyWaiter) Addr() *net.UDPAddr { return w.conn.LocalAddr().(*net.UDPAddr) }

// Close releases the socket.
func (w *ReadyWaiter) Close() error { return w.conn.Close() }

// readiness is what the waiter has seen of one system.
type readiness struct {
	heartbeat bool // a HEARTBEAT from its autopilot
	sysStatus bool // a SYS_STATUS
	reported  bool // a SYS_STATUS with the pre-arm bit present and enabled
	passing   bool // the latest SYS_STATUS says the pre-arm checks pass
}

func (r readiness) ready() bool { return r.heartbeat && r.passing }

// missing names what is missing for readiness.
func (r readiness) missing() string {
	switch {
	case !r.heartbeat:
		return "no HEARTBEAT from its autopilot"
	case !r.sysStatus:
		return "no SYS_STATUS"
	case !r.reported:
		return "its SYS_STATUS does not report MAV_SYS_STATUS_PREARM_CHECK (not PX4 v1.16?)"
	}
	return "its pre-arm checks do not pass (SYS_STATUS MAV_SYS_STATUS_PREARM_CHECK not healthy; PX4's console log says why)"
}

// Wait blocks until system sysid's autopilot has sent a HEARTBEAT and a
// SYS_STATUS saying its pre-arm checks pass, or ctx ends; the error then
// says what was missing.
func (w *ReadyWaiter) Wait(ctx context.Context, sysid uint8) error {
	var r readiness
	buf := make([]byte, 65536)
	for !r.ready() {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("px4sitl: system %d not ready: %s (heartbeat seen: %v, SYS_STATUS seen: %v, pre-arm checks passing: %v): %w",
				sysid, r.missing(), r.heartbeat, r.sysStatus, r.passing, err)
		}
		// Wake up regularly to notice ctx ending.
		w.conn.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
		n, _, err := w.conn.ReadFromUDP(buf)
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			return fmt.Errorf("px4sitl: ready listener: %w", err)
		}
		rd := &frame.Reader{BufByteReader: bufio.NewReader(bytes.NewReader(buf[:n])), DialectRW: dialectRW()}
		if err := rd.Initialize(); err != nil {
			return err
		}
		for {
			fr, err := rd.Read()
			if err != nil {
				var re frame.ReadError
				if errors.As(err, &re) {
					continue
				}
				break
			}
			if fr.GetSystemID() != sysid || fr.GetComponentID() != 1 {
				continue
			}
			switch m := fr.GetMessage().(type) {
			case *common.MessageHeartbeat:
				r.heartbeat = r.heartbeat || m.Autopilot != common.MAV_AUTOPILOT_INVALID
			case *common.MessageSysStatus:
				const bit = common.MAV_SYS_STATUS_PREARM_CHECK
				r.sysStatus = true
				r.reported = m.OnboardControlSensorsPresent&bit != 0 && m.OnboardControlSensorsEnabled&bit != 0
				r.passing = r.reported && m.OnboardControlSensorsHealth&bit != 0
			}
		}
	}
	return nil
}
