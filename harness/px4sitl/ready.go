package px4sitl

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/bluenviron/gomavlib/v3/pkg/dialect"
	"github.com/bluenviron/gomavlib/v3/pkg/dialects/common"
	"github.com/bluenviron/gomavlib/v3/pkg/frame"
)

// ReadyText is the STATUSTEXT PX4 sends when it can arm.
const ReadyText = "Ready for takeoff"

var dialectRW = sync.OnceValue(func() *dialect.ReadWriter {
	rw := &dialect.ReadWriter{Dialect: common.Dialect}
	if err := rw.Initialize(); err != nil {
		panic(err)
	}
	return rw
})

// ReadyWaiter listens where a PX4 link sends and recognises readiness. It
// never sends anything, so it neither latches the link nor looks like a
// ground station.
type ReadyWaiter struct {
	conn *net.UDPConn
}

// ListenReady binds a waiter. It must be bound before PX4 starts: PX4 says
// "Ready for takeoff!" once.
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

// Wait blocks until system sysid's autopilot has sent a HEARTBEAT and a
// STATUSTEXT containing ReadyText, or ctx ends; the error then says which
// of the two was missing.
func (w *ReadyWaiter) Wait(ctx context.Context, sysid uint8) error {
	var heartbeat, ready bool
	buf := make([]byte, 65536)
	for !heartbeat || !ready {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("px4sitl: system %d not ready (heartbeat seen: %v, %q seen: %v): %w",
				sysid, heartbeat, ReadyText, ready, err)
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
		r := &frame.Reader{BufByteReader: bufio.NewReader(bytes.NewReader(buf[:n])), DialectRW: dialectRW()}
		if err := r.Initialize(); err != nil {
			return err
		}
		for {
			fr, err := r.Read()
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
				heartbeat = heartbeat || m.Autopilot != common.MAV_AUTOPILOT_INVALID
			case *common.MessageStatustext:
				ready = ready || strings.Contains(m.Text, ReadyText)
			}
		}
	}
	return nil
}
