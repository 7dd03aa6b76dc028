package main

import (
	"context"
	"os"
	"os/signal"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/wasmbed/wasmbed/firmware/agent"
	"github.com/wasmbed/wasmbed/firmware/device"
	"github.com/wasmbed/wasmbed/firmware/guest"
)

// runGuest is main when the firmware is PID 1 of a QEMU guest: it sets the
// system up, runs the same device as a process device would — over the
// serial data line instead of TCP, with the flash disk instead of a
// directory — and powers off or reboots cleanly. PID 1 must never return.
func runGuest() {
	sys, err := guest.Boot()
	if err != nil {
		if sys != nil {
			sys.Logger.Error("boot failed", "err", err)
			sys.Shutdown(false)
		}
		panic(err) // no console: the kernel prints the panic
	}
	limitMemory(sys)
	prof, ok := agent.Profiles[sys.Config.Profile]
	if !ok {
		sys.Logger.Error("unknown profile; using the host-process profile", "profile", sys.Config.Profile)
		prof = agent.Profiles["process"]
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT, syscall.SIGPWR)
	defer stop()
	serverName := sys.Params["servername"]
	dev, err := device.New(ctx, device.Config{
		Name:       sys.Config.Name,
		Profile:    prof,
		Store:      sys.Store,
		Dial:       sys.Dial,
		ServerName: serverName,
		Logger:     sys.Logger,
		Backoff:    agent.Backoff{Initial: 100 * time.Millisecond, Max: 2 * time.Second},
	})
	if err != nil {
		sys.Logger.Error("device", "err", err)
		sys.Shutdown(false)
	}
	sys.Logger.Info("device starting", "profile", prof.Name, "arch", prof.Arch, "enrolled", dev.Agent.Enrolled(), "boot", sys.BootTime)
	if err := dev.Run(ctx); err != nil {
		sys.Logger.Error("device stopped", "err", err)
	}
	sys.Logger.Info("device stopped; powering off")
	sys.Shutdown(false)
}

// isPID1 reports whether the firmware is the init of a guest: PID 1 and
// started as the initramfs's /init. Checking the path too keeps a
// container, where the firmware may also be PID 1, on the process path.
func isPID1() bool { return os.Getpid() == 1 && os.Args[0] == "/init" }

// limitMemory gives the Go runtime a soft limit of 60 % of the guest's
// RAM, so the garbage collector works harder before the kernel runs out:
// PID 1 cannot be OOM-killed, so running out panics the whole guest.
func limitMemory(sys *guest.System) {
	data, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "MemTotal:"); ok {
			f := strings.Fields(rest)
			if len(f) == 0 {
				return
			}
			if kb, err := strconv.ParseInt(f[0], 10, 64); err == nil {
				limit := kb * 1024 * 6 / 10
				debug.SetMemoryLimit(limit)
				sys.Logger.Info("memory", "total_kib", kb, "go_limit_mib", limit>>20)
			}
			return
		}
	}
}
