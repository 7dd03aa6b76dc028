package vehiclebridge

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/wasmbed/wasmbed/sut/abi"
	wasmbedv1 "github.com/wasmbed/wasmbed/sut/api/v1alpha1"
	"github.com/wasmbed/wasmbed/sut/protocol"
	"github.com/wasmbed/wasmbed/sut/refusal"
)

// Vehicle command admission. A device's runtime already checks an app's
// commands against its Application, but the gateway trusts no device with a
// vehicle: it checks every command again against the Application in the
// API (the app must be assigned to this device and list the command in
// spec.capabilities.mavlink) and against a per-app rate, before the command
// reaches the device's vehicle and nobody else's. A refusal is logged,
// counted (wasmbed_gateway_vehicle_commands_total{result=<reason>} and
// wasmbed_gateway_refusals_total{stage="vehicle"}), answered with an error
// result, and noted in the app's status.

// Command rate per app per device: vehicle commands are mission-level
// (arm, take off, change mode), a handful per flight.
const (
	commandRate  = 5 // per second
	commandBurst = 10
)

// Command answers an app's vehicle command from device's session.
func (b *Bridge) Command(ctx context.Context, device string, cmd *protocol.VehicleCommand) *protocol.VehicleCommandResult {
	log := b.log.With("device", device, "app", cmd.App, "command", cmd.Command)
	refuse := func(reason, msg string) *protocol.VehicleCommandResult {
		b.m.commands.WithLabelValues(metricCommand(cmd.Command), reason).Inc()
		b.opts.Audit.Refuse(refusal.StageVehicle, refusal.Reason(reason))
		log.Info("vehicle command refused", "reason", reason, "message", msg)
		b.note(device, cmd, reason, msg)
		return &protocol.VehicleCommandResult{Result: reason, Message: msg}
	}
	if !abi.IsVehicleCommand(cmd.Command) {
		return refuse(abi.VehicleInvalid, fmt.Sprintf("unknown vehicle command %q (known: %s)", cmd.Command, strings.Join(abi.VehicleCommands(), ", ")))
	}
	var app wasmbedv1.Application
	err := b.opts.Reader.Get(ctx, client.ObjectKey{Namespace: b.opts.Namespace, Name: cmd.App}, &app)
	switch {
	case apierrors.IsNotFound(err):
		return refuse(abi.VehicleNotGranted, fmt.Sprintf("there is no Application %q", cmd.App))
	case err != nil:
		return refuse(abi.VehicleNotAvailable, "reading the Application: "+err.Error())
	case !assigned(&app, device):
		return refuse(abi.VehicleNotGranted, fmt.Sprintf("Application %s is not assigned to device %s", cmd.App, device))
	case !slices.Contains(app.Spec.Capabilities.MAVLink, wasmbedv1.MAVLinkCommand(cmd.Command)):
		return refuse(abi.VehicleNotGranted, fmt.Sprintf("Application %s does not grant the %s command (spec.capabilities.mavlink: %v)", cmd.App, cmd.Command, app.Spec.Capabilities.MAVLink))
	case !b.limiter.allow(device, cmd.App):
		return refuse(abi.VehicleRateLimited, fmt.Sprintf("more than %d commands per second (burst %d) from app %s", commandRate, commandBurst, cmd.App))
	}
	e := b.entry(device)
	switch {
	case e == nil:
		return refuse(abi.VehicleNotAvailable, fmt.Sprintf("Device %s names no vehicle this gateway can reach (spec.capabilities.mavlink)", device))
	case !e.link.isUp():
		return refuse(abi.VehicleNotAvailable, fmt.Sprintf("no heartbeat from vehicle %d at %s", e.sysid, e.endpoint))
	}
	mc, bad := e.link.translate(cmd.Command, cmd.Param, cmd.Mode)
	if bad != nil {
		return refuse(bad.result, bad.message)
	}
	start := time.Now()
	res := e.link.exec(ctx, mc)
	b.m.commandLatency.Observe(time.Since(start).Seconds())
	b.m.commands.WithLabelValues(cmd.Command, res.result).Inc()
	if res.result == abi.VehicleAccepted {
		log.Info("vehicle command accepted", "param", cmd.Param, "mode", cmd.Mode, "took", time.Since(start))
		b.unnote(device, cmd)
	} else {
		log.Info("vehicle command not accepted", "result", res.result, "message", res.message, "took", time.Since(start))
		b.note(device, cmd, res.result, res.message)
	}
	return &protocol.VehicleCommandResult{Result: res.result, Message: res.message}
}

// metricCommand keeps the command label bounded: a device may send any
// string.
func metricCommand(c string) string {
	if abi.IsVehicleCommand(c) {
		return c
	}
	return "unknown"
}

// commandLimiter rate-limits commands per device and app.
type commandLimiter struct {
	mu sync.Mutex
	m  map[string]*commandBucket
}

// commandBucket is one device and app's allowance.
type commandBucket struct {
	l        *rate.Limiter
	lastSeen time.Time
}

func newCommandLimiter() *commandLimiter { return &commandLimiter{m: map[string]*commandBucket{}} }

func (c *commandLimiter) allow(device, app string) bool {
	now := time.Now()
	key := device + "/" + app
	c.mu.Lock()
	defer c.mu.Unlock()
	e := c.m[key]
	if e == nil {
		e = &commandBucket{l: rate.NewLimiter(commandRate, commandBurst)}
		c.m[key] = e
	}
	e.lastSeen = now
	if len(c.m) > 4096 {
		for k, v := range c.m {
			if now.Sub(v.lastSeen) > 10*time.Minute {
				delete(c.m, k)
			}
		}
	}
	return e.l.AllowN(now, 1)
}
