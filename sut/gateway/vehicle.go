package gateway

import (
	"context"

	"github.com/wasmbed/wasmbed/sut/protocol"
)

// vehicleCommand forwards an app's command to the device's vehicle.
func (g *Gateway) vehicleCommand(_ context.Context, s *session, cmd *protocol.VehicleCommand) *protocol.VehicleCommandResult {
	g.metrics.vehicleCommands.WithLabelValues(cmd.Command, ReasonVehicleNotAvailable).Inc()
	g.metrics.refuse("vehicle", ReasonVehicleNotAvailable)
	g.log.Info("vehicle command refused", "device", s.device, "app", cmd.App, "command", cmd.Command, "reason", ReasonVehicleNotAvailable)
	return &protocol.VehicleCommandResult{Result: ReasonVehicleNotAvailable, Message: "this gateway has no MAVLink bridge for the device"}
}
