// Command px4sim runs the built-in PX4-faithful vehicle simulator (package
// px4sim) as its own process, so that anything that can talk to a PX4
// SITL over UDP (QGroundControl, MAVSDK, the Wasmbed gateway) can talk to
// it instead. With no flags it takes PX4 SITL instance 0's place: GCS link
// on 18570 sending to 14550, API link on 14580 sending to 14540.
//
// It prints one line per vehicle with its bound addresses and runs until
// SIGINT or SIGTERM.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/wasmbed/wasmbed/harness/px4sim"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		fmt.Fprintln(os.Stderr, "px4sim:", err)
		os.Exit(2)
	}
}

// options are the parsed command line.
type options struct {
	cfg px4sim.Config
	n   int
}

func parseFlags(args []string, out io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("px4sim", flag.ContinueOnError)
	fs.SetOutput(out)
	fs.IntVar(&o.cfg.Instance, "instance", 0, "PX4 instance number of the first vehicle (offsets default ports and system id, like px4 -i)")
	sysid := fs.Uint("sysid", 0, "MAVLink system id of the first vehicle (default 1+instance)")
	fs.IntVar(&o.n, "n", 1, "number of vehicles; vehicle i gets instance+i, sysid+i and ports offset by i")
	fs.StringVar(&o.cfg.GCS.Bind, "gcs-bind", "", "GCS link local address (default 127.0.0.1:18570+instance; port 0 = ephemeral)")
	fs.StringVar(&o.cfg.GCS.Remote, "gcs-remote", "", `GCS link remote address (default 127.0.0.1:14550; "none" = only answer)`)
	fs.StringVar(&o.cfg.API.Bind, "api-bind", "", "API link local address (default 127.0.0.1:14580+instance)")
	fs.StringVar(&o.cfg.API.Remote, "api-remote", "", `API link remote address (default 127.0.0.1:14540+instance; "none" = only answer)`)
	fs.Float64Var(&o.cfg.SpeedFactor, "speed", 1, "simulation speed factor (like PX4_SIM_SPEED_FACTOR)")
	fs.Uint64Var(&o.cfg.Seed, "seed", 0, "seed for everything random: wind, sensor noise, height-estimate drift and ground effect (vehicle i gets seed+i)")
	home := fs.String("home", "", "home position lat,lon,alt (degrees, degrees, metres AMSL; default PX4's Zurich home)")
	dll := fs.String("dll-action", "none", "data-link-loss action, NAV_DLL_ACT: none, hold, rtl or land")
	fs.DurationVar(&o.cfg.Failsafe.DataLinkLossTimeout, "dll-timeout", 10*time.Second, "data-link-loss timeout in simulated time (COM_DL_LOSS_T)")
	fs.DurationVar(&o.cfg.Failsafe.ActionDelay, "failsafe-delay", 5*time.Second, "hold before the failsafe action in simulated time (COM_FAIL_ACT_T); negative = none")
	fs.DurationVar(&o.cfg.ReadyDelay, "ready-delay", px4sim.DefaultReadyDelay, `simulated time from boot until the pre-arm checks pass (PX4 prints "Ready for takeoff!" on its console)`)
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if *sysid > 255 {
		return o, fmt.Errorf("sysid %d out of range", *sysid)
	}
	o.cfg.SystemID = uint8(*sysid)
	if o.n < 1 {
		return o, fmt.Errorf("-n %d: need at least one vehicle", o.n)
	}
	var err error
	if o.cfg.Failsafe.DataLinkLossAction, err = px4sim.ParseFailsafeAction(*dll); err != nil {
		return o, err
	}
	if *home != "" {
		if o.cfg.Home, err = parseHome(*home); err != nil {
			return o, err
		}
	}
	return o, nil
}

func parseHome(s string) (px4sim.Position, error) {
	parts := strings.Split(s, ",")
	if len(parts) != 3 {
		return px4sim.Position{}, fmt.Errorf("-home %q: want lat,lon,alt", s)
	}
	var v [3]float64
	for i, p := range parts {
		f, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil {
			return px4sim.Position{}, fmt.Errorf("-home %q: %w", s, err)
		}
		v[i] = f
	}
	return px4sim.Position{Lat: v[0], Lon: v[1], Alt: v[2]}, nil
}

// run starts the vehicles, reports their addresses on out (and
// diagnostics on logw) and blocks until ctx ends.
func run(ctx context.Context, args []string, out, logw io.Writer) error {
	o, err := parseFlags(args, out)
	if err != nil {
		return err
	}
	o.cfg.Logf = func(format string, args ...any) { fmt.Fprintf(logw, format+"\n", args...) }
	fleet, err := px4sim.NewFleet(o.cfg, o.n)
	if err != nil {
		return err
	}
	defer fleet.Close()
	if err := fleet.Start(); err != nil {
		return err
	}
	for _, s := range fleet.Sims {
		c := s.Config()
		fmt.Fprintf(out, "px4sim: vehicle sysid=%d instance=%d gcs=%s->%s api=%s->%s speed=%g\n",
			s.SystemID(), c.Instance, s.GCSAddr(), c.GCS.Remote, s.APIAddr(), c.API.Remote, c.SpeedFactor)
	}
	<-ctx.Done()
	return fleet.Close()
}
