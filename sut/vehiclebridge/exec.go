package vehiclebridge

import (
	"context"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/bluenviron/gomavlib/v3/pkg/dialects/common"

	"github.com/wasmbed/wasmbed/sut/abi"
)

// Command timing, in wall time: the autopilot acknowledges a command as
// soon as it processes it, whatever its clock rate.
const (
	ackTimeout   = time.Second
	sendAttempts = 3
	// textGrace is how long a refusal waits for the autopilot's STATUSTEXT
	// explaining it, when the text has not already arrived: PX4 queues the
	// text and the COMMAND_ACK separately, so either may come first.
	textGrace = 250 * time.Millisecond
	// maxTakeoffAltitude bounds the relative take-off altitude an app may
	// ask for.
	maxTakeoffAltitude = 500.0
)

// MAV_RESULT names, lower-case, as apps receive them.
var mavResults = map[common.MAV_RESULT]string{
	common.MAV_RESULT_ACCEPTED:             abi.VehicleAccepted,
	common.MAV_RESULT_TEMPORARILY_REJECTED: abi.VehicleTemporarilyRejected,
	common.MAV_RESULT_DENIED:               abi.VehicleDenied,
	common.MAV_RESULT_UNSUPPORTED:          abi.VehicleUnsupported,
	common.MAV_RESULT_FAILED:               abi.VehicleFailed,
	common.MAV_RESULT_IN_PROGRESS:          abi.VehicleInProgress,
	common.MAV_RESULT_CANCELLED:            abi.VehicleCancelled,
}

func resultName(r common.MAV_RESULT) string {
	if n, ok := mavResults[r]; ok {
		return n
	}
	return fmt.Sprintf("result_%d", r)
}

// mavCommand is an app command translated to a COMMAND_LONG.
type mavCommand struct {
	id     common.MAV_CMD
	params [7]float32
	// setMode is DO_SET_MODE: PX4 acknowledges it twice (an unconditional
	// ACCEPTED, then commander's verdict), so the result is the second ack
	// or the heartbeat showing mode.
	setMode bool
	mode    uint32 // custom_mode wanted, for setMode
}

// pendingCommand routes the acknowledgements of the command in flight.
type pendingCommand struct {
	command uint16
	acks    chan common.MessageCommandAck
	modes   chan uint32 // heartbeat custom_modes, for set_mode
}

// commandResult is the outcome of one command on the link.
type commandResult struct {
	result, message string
}

// translate turns an app's command into a COMMAND_LONG for this vehicle.
// A request that cannot be translated returns an invalid_command result.
func (l *vehicleLink) translate(command string, param float64, mode string) (mavCommand, *commandResult) {
	nan := float32(math.NaN())
	switch command {
	case abi.VehicleArm:
		return mavCommand{id: common.MAV_CMD_COMPONENT_ARM_DISARM, params: [7]float32{1}}, nil
	case abi.VehicleDisarm:
		return mavCommand{id: common.MAV_CMD_COMPONENT_ARM_DISARM, params: [7]float32{0}}, nil
	case abi.VehicleTakeoff:
		if math.IsNaN(param) || param <= 0 || param > maxTakeoffAltitude {
			return mavCommand{}, &commandResult{abi.VehicleInvalid, fmt.Sprintf("take-off altitude %v m above home is outside (0, %v]", param, maxTakeoffAltitude)}
		}
		// NAV_TAKEOFF's param7 is an altitude above mean sea level on PX4;
		// the app asked for one above home.
		home, ok := l.homeAltitude()
		if !ok {
			return mavCommand{}, &commandResult{abi.VehicleNotAvailable, "the vehicle has not reported its position or home yet"}
		}
		return mavCommand{id: common.MAV_CMD_NAV_TAKEOFF, params: [7]float32{0, 0, 0, nan, nan, nan, float32(home + param)}}, nil
	case abi.VehicleLand:
		return mavCommand{id: common.MAV_CMD_NAV_LAND, params: [7]float32{0, 0, 0, nan, nan, nan, nan}}, nil
	case abi.VehicleRTL:
		return mavCommand{id: common.MAV_CMD_NAV_RETURN_TO_LAUNCH}, nil
	case abi.VehicleSetMode:
		m, ok := lookupPX4Mode(mode)
		if !ok {
			return mavCommand{}, &commandResult{abi.VehicleInvalid, fmt.Sprintf("unknown PX4 mode %q (known: %s)", mode, px4ModeNames())}
		}
		return mavCommand{
			id:      common.MAV_CMD_DO_SET_MODE,
			params:  [7]float32{float32(common.MAV_MODE_FLAG_CUSTOM_MODE_ENABLED), float32(m.main), float32(m.sub)},
			setMode: true, mode: m.customMode(),
		}, nil
	}
	return mavCommand{}, &commandResult{abi.VehicleInvalid, fmt.Sprintf("unknown command %q", command)}
}

// exec sends c as a COMMAND_LONG and waits for the autopilot's verdict,
// resending (with an incremented confirmation) when no ack comes. A refusal
// carries the STATUSTEXT the autopilot gave for it.
func (l *vehicleLink) exec(ctx context.Context, c mavCommand) commandResult {
	l.cmdMu.Lock()
	defer l.cmdMu.Unlock()
	select {
	case <-l.open:
	case <-ctx.Done():
		return commandResult{abi.VehicleTimeout, "the vehicle link is not open"}
	}
	p := &pendingCommand{command: uint16(c.id), acks: make(chan common.MessageCommandAck, 8)}
	if c.setMode {
		p.modes = make(chan uint32, 8)
	}
	l.mu.Lock()
	l.pending = p
	textMark := l.textSeq
	l.mu.Unlock()
	defer func() {
		l.mu.Lock()
		l.pending = nil
		l.mu.Unlock()
	}()

	var ack common.MessageCommandAck
	got := false
	for attempt := 0; attempt < sendAttempts && !got; attempt++ {
		msg := &common.MessageCommandLong{
			TargetSystem: l.cfg.sysid, TargetComponent: autopilotComponent, Command: c.id, Confirmation: uint8(attempt),
			Param1: c.params[0], Param2: c.params[1], Param3: c.params[2], Param4: c.params[3],
			Param5: c.params[4], Param6: c.params[5], Param7: c.params[6],
		}
		if err := l.node.WriteMessageAll(msg); err != nil {
			return commandResult{abi.VehicleFailed, "encoding COMMAND_LONG: " + err.Error()}
		}
		ack, got = l.awaitFinalAck(ctx, p, ackTimeout)
		if ctx.Err() != nil {
			return commandResult{abi.VehicleTimeout, ctx.Err().Error()}
		}
	}
	if !got {
		return commandResult{abi.VehicleTimeout, fmt.Sprintf("no COMMAND_ACK for %s after %d attempts", c.id, sendAttempts)}
	}
	res := commandResult{result: resultName(ack.Result)}
	if c.setMode && ack.Result == common.MAV_RESULT_ACCEPTED {
		res = l.confirmMode(ctx, p, c.mode)
	}
	if res.result != abi.VehicleAccepted && res.message == "" {
		res.message = l.explain(ctx, textMark)
	}
	return res
}

// awaitFinalAck waits for an ack that is not IN_PROGRESS.
func (l *vehicleLink) awaitFinalAck(ctx context.Context, p *pendingCommand, timeout time.Duration) (common.MessageCommandAck, bool) {
	t := time.NewTimer(timeout)
	defer t.Stop()
	for {
		select {
		case a := <-p.acks:
			if a.Result == common.MAV_RESULT_IN_PROGRESS {
				continue
			}
			return a, true
		case <-t.C:
			return common.MessageCommandAck{}, false
		case <-ctx.Done():
			return common.MessageCommandAck{}, false
		case <-l.stop:
			return common.MessageCommandAck{}, false
		}
	}
}

// confirmMode follows the first, unconditional ACCEPTED of a DO_SET_MODE:
// the second ack decides, or a heartbeat in the wanted mode does. Without
// either within the timeout, the mode the vehicle is in decides.
func (l *vehicleLink) confirmMode(ctx context.Context, p *pendingCommand, want uint32) commandResult {
	t := time.NewTimer(ackTimeout)
	defer t.Stop()
	for {
		select {
		case a := <-p.acks:
			if a.Result == common.MAV_RESULT_IN_PROGRESS {
				continue
			}
			return commandResult{result: resultName(a.Result)}
		case m := <-p.modes:
			if m == want {
				return commandResult{result: abi.VehicleAccepted}
			}
		case <-t.C:
			if l.customMode() == want {
				return commandResult{result: abi.VehicleAccepted}
			}
			return commandResult{abi.VehicleTimeout, fmt.Sprintf("the vehicle acknowledged the request but is not in mode %s", px4ModeName(want))}
		case <-ctx.Done():
			return commandResult{abi.VehicleTimeout, ctx.Err().Error()}
		case <-l.stop:
			return commandResult{abi.VehicleTimeout, "vehicle link closed"}
		}
	}
}

// explain returns the warnings and errors the vehicle said since mark,
// waiting briefly for one if none has arrived yet.
func (l *vehicleLink) explain(ctx context.Context, mark int) string {
	deadline := time.Now().Add(textGrace)
	for {
		l.mu.Lock()
		var parts []string
		for _, t := range l.texts {
			if t.seq > mark && t.severity <= 4 { // MAV_SEVERITY_WARNING or worse
				parts = append(parts, t.text)
			}
		}
		l.mu.Unlock()
		if len(parts) > 0 || time.Now().After(deadline) {
			return strings.Join(parts, "; ")
		}
		select {
		case <-ctx.Done():
			return ""
		case <-l.stop:
			return ""
		case <-time.After(10 * time.Millisecond):
		}
	}
}
