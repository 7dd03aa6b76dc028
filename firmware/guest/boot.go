package guest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"time"

	"golang.org/x/sys/unix"

	"github.com/wasmbed/wasmbed/firmware/flash"
	"github.com/wasmbed/wasmbed/firmware/seriallink"
)

// FlashWait bounds how long Boot waits for the flash disk to appear.
const FlashWait = 10 * time.Second

// System is a booted guest: what the agent needs to run.
type System struct {
	// Config is the configuration read from the kernel command line.
	Config Config
	// Params is Config.Params: every wasmbed.* key, prefix removed.
	Params map[string]string
	// Cmdline is the raw kernel command line.
	Cmdline string
	// Store is the device's flash, mounted at FlashMount.
	Store flash.Store
	// Persistent is false when the flash is a tmpfs (wasmbed.flash=none).
	Persistent bool
	// Link is the serial link on the data line.
	Link *seriallink.Link
	// Dial opens a new session to the gateway over the serial link.
	Dial func(ctx context.Context) (net.Conn, error)
	// Logger writes to the kernel console, tagged with the device name.
	Logger *slog.Logger
	// Modules are the kernel modules Boot loaded.
	Modules []string
	// BootTime is how long Boot took.
	BootTime time.Duration
}

// Boot brings the guest up (see the package documentation) and returns the
// System. It must run as PID 1.
//
// On error the returned System is still non-nil when the basic mounts
// worked, so the caller can log and call Shutdown; PID 1 must not return
// from main.
func Boot() (*System, error) {
	start := time.Now()
	if os.Getpid() != 1 {
		return nil, fmt.Errorf("guest: Boot must run as PID 1 inside a guest (this is PID %d)", os.Getpid())
	}
	if err := mountBase(); err != nil {
		return nil, err
	}
	console := openConsole()
	s := &System{Logger: slog.New(slog.NewTextHandler(console, &slog.HandlerOptions{Level: slog.LevelInfo}))}

	raw, err := os.ReadFile("/proc/cmdline")
	if err != nil {
		return s, fmt.Errorf("guest: read /proc/cmdline: %w", err)
	}
	s.Cmdline = string(raw)
	cfg, cerr := ParseCmdline(s.Cmdline)
	s.Config, s.Params = cfg, cfg.Params
	s.Logger = slog.New(slog.NewTextHandler(console, &slog.HandlerOptions{Level: cfg.LogLevel})).With("device", cfg.Name)
	if cerr != nil {
		return s, cerr
	}
	if cfg.Name != "" {
		_ = unix.Sethostname([]byte(cfg.Name))
	}
	if !cfg.NotBefore.IsZero() && time.Now().Before(cfg.NotBefore) {
		tv := unix.NsecToTimeval(cfg.NotBefore.UnixNano())
		if err := unix.Settimeofday(&tv); err != nil {
			s.Logger.Warn("cannot set the clock", "err", err)
		}
	}

	if mods, err := ReadModuleList(ModuleList); err == nil {
		s.Modules, err = LoadModules(mods, cfg.ModuleParams)
		if err != nil {
			return s, err
		}
		s.Logger.Debug("modules loaded", "modules", s.Modules)
	} else if !errors.Is(err, os.ErrNotExist) {
		return s, fmt.Errorf("guest: read %s: %w", ModuleList, err)
	}

	s.Persistent, err = mountFlash(cfg.Flash, cfg.FlashFS, FlashWait)
	if err != nil {
		return s, err
	}
	if !s.Persistent {
		s.Logger.Warn("no flash disk: using volatile memory", "flash", cfg.Flash)
	}
	s.Store = flash.Dir(FlashMount)

	port, err := seriallink.OpenTTY(cfg.DataLine, cfg.Baud)
	if err != nil {
		return s, err
	}
	s.Link = seriallink.New(port, seriallink.Config{
		Name: cfg.Name, KeepAlive: cfg.KeepAlive, Timeout: cfg.LinkTimeout, Logger: s.Logger,
	})
	s.Dial = s.Link.Dial
	s.BootTime = time.Since(start)
	s.Logger.Info("guest up", "profile", cfg.Profile, "dataline", cfg.DataLine,
		"flash", cfg.Flash, "persistent", s.Persistent, "boot", s.BootTime.Round(time.Millisecond))
	return s, nil
}

// openConsole points stdin, stdout and stderr at /dev/console (the kernel
// may have started init without them) and returns it for logging.
func openConsole() io.Writer {
	f, err := os.OpenFile("/dev/console", os.O_RDWR, 0)
	if err != nil {
		return os.Stderr
	}
	for fd := range 3 {
		_ = unix.Dup3(int(f.Fd()), fd, 0)
	}
	return f
}

// Shutdown ends the guest: it closes the serial link, syncs and unmounts
// the flash, and powers off (reboot false) or restarts (reboot true) the
// machine. It does not return. It is safe on a System from a failed Boot.
func (s *System) Shutdown(reboot bool) {
	log := s.Logger
	if log == nil {
		log = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	what := "power off"
	cmd := unix.LINUX_REBOOT_CMD_POWER_OFF
	if reboot {
		what, cmd = "reboot", unix.LINUX_REBOOT_CMD_RESTART
	}
	log.Info("shutting down", "action", what)
	if s.Link != nil {
		s.Link.Close()
	}
	if err := unmountFlash(); err != nil {
		log.Error("flash not cleanly unmounted", "err", err)
	}
	unix.Sync()
	err := unix.Reboot(cmd)
	log.Error("reboot(2) failed; halting", "err", err)
	select {} // PID 1 must not exit
}
