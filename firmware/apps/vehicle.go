package apps

import (
	"bytes"
	"context"
	"encoding/json"
	"slices"

	"github.com/wasmbed/wasmbed/sut/abi"
	"github.com/wasmbed/wasmbed/sut/protocol"
)

// vehicleCommand implements wasmbed.vehicle_command once the request is
// read: it checks the request against the app's mavlink capability, hands
// it to Options.VehicleCommand on its own goroutine and returns an id. The
// outcome arrives later as a message on abi.TopicVehicleResult, so the app
// never blocks on an autopilot.
func (a *app) vehicleCommand(raw []byte) int32 {
	var req abi.VehicleRequest
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		a.log.Warn("vehicle_command: malformed request", "error", err)
		return abi.ErrInvalidArgument
	}
	if !abi.IsVehicleCommand(req.Command) || (req.Command == abi.VehicleSetMode && req.Mode == "") {
		a.log.Warn("vehicle_command: unknown command or missing mode", "command", req.Command)
		return abi.ErrInvalidArgument
	}
	if !slices.Contains(a.spec.Capabilities.MAVLink, req.Command) {
		a.log.Warn("vehicle_command refused: the Application does not grant this command", "command", req.Command,
			"allowed", a.spec.Capabilities.MAVLink)
		return abi.ErrNotPermitted
	}
	send := a.m.opts.VehicleCommand
	if send == nil {
		return abi.ErrUnavailable
	}
	if a.inFlight.Add(1) > abi.MaxVehicleInFlight {
		a.inFlight.Add(-1)
		return abi.ErrQuotaExceeded
	}
	id := a.vehicleSeq.Add(1)
	if id <= 0 { // wrapped: ids stay positive
		a.vehicleSeq.Store(1)
		id = 1
	}
	cmd := protocol.VehicleCommand{App: a.spec.Name, Command: req.Command, Param: req.Param, Mode: req.Mode}
	a.bg.Add(1)
	go func() {
		defer a.bg.Done()
		defer a.inFlight.Add(-1)
		ctx, cancel := context.WithTimeout(a.ctx, a.m.opts.VehicleTimeout)
		defer cancel()
		res := send(ctx, a.spec.Name, cmd)
		if a.ctx.Err() != nil {
			return
		}
		data, _ := json.Marshal(abi.VehicleResult{ID: id, Command: req.Command, Result: res.Result, Message: res.Message})
		a.enqueue(message{topic: abi.TopicVehicleResult, data: data})
	}()
	return id
}
