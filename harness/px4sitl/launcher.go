package px4sitl

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/wasmbed/wasmbed/harness/proc"
)

// EnvDir names the environment variable pointing at a PX4 SITL build.
const EnvDir = "PX4_SITL_DIR"

// ErrNotConfigured is returned by New when no PX4 SITL build is
// configured. Its message says how to configure one.
var ErrNotConfigured = errors.New("px4sitl: real PX4 SITL is not configured: set " + EnvDir +
	" to a PX4 v1.16 SITL build directory, the one holding bin/px4 and etc/ (e.g. PX4-Autopilot/build/px4_sitl_default)")

// PX4's SITL ports for instance 0 (px4-rc.mavlink); instance N adds N to
// all but the GCS remote.
const (
	gcsLocalPort  = 18570
	gcsRemotePort = 14550
	apiLocalPort  = 14580
	apiRemotePort = 14540
)

// Home is a start position passed to PX4 as PX4_HOME_LAT/LON/ALT.
type Home struct {
	Lat, Lon, Alt float64
}

// Config configures a Launcher.
type Config struct {
	// Dir is the PX4 SITL build directory. Default $PX4_SITL_DIR.
	Dir string
	// Model is PX4_SIM_MODEL. Default "sihsim_quadx".
	Model string
	// Simulator is PX4_SIMULATOR. Default "sihsim".
	Simulator string
	// SpeedFactor is PX4_SIM_SPEED_FACTOR. Default 1.
	SpeedFactor float64
	// Home, if set, overrides PX4's default start position.
	Home *Home
	// WorkDir is where per-instance working directories are created.
	// Default the system temporary directory.
	WorkDir string
	// LogDir receives px4's console output as px4-sitl-<N>.log. Default
	// the instance's working directory (removed on Close).
	LogDir string
	// ReadyTimeout bounds the wait for readiness. Default 2 minutes.
	ReadyTimeout time.Duration
	// ReadyListen is where the readiness wait listens: it must be where
	// the instance sends. Default the API link's remote, 127.0.0.1:14540+N.
	// The port is released once the instance is ready.
	ReadyListen func(instance int) string
	// Env is added to px4's environment.
	Env []string
}

// Launcher starts PX4 SITL instances.
type Launcher struct {
	cfg Config
}

// New checks the configuration. Without a build directory it returns
// ErrNotConfigured.
func New(cfg Config) (*Launcher, error) {
	if cfg.Dir == "" {
		cfg.Dir = os.Getenv(EnvDir)
	}
	if cfg.Dir == "" {
		return nil, ErrNotConfigured
	}
	dir, err := filepath.Abs(cfg.Dir)
	if err != nil {
		return nil, err
	}
	cfg.Dir = dir
	if fi, err := os.Stat(filepath.Join(dir, "bin", "px4")); err != nil || fi.IsDir() || fi.Mode()&0o111 == 0 {
		return nil, fmt.Errorf("px4sitl: %s=%s has no executable bin/px4; point it at a PX4 v1.16 SITL build directory (e.g. build/px4_sitl_default)", EnvDir, dir)
	}
	if fi, err := os.Stat(filepath.Join(dir, "etc")); err != nil || !fi.IsDir() {
		return nil, fmt.Errorf("px4sitl: %s=%s has no etc/ directory; point it at a PX4 v1.16 SITL build directory (e.g. build/px4_sitl_default)", EnvDir, dir)
	}
	if cfg.Model == "" {
		cfg.Model = "sihsim_quadx"
	}
	if cfg.Simulator == "" {
		cfg.Simulator = "sihsim"
	}
	if cfg.SpeedFactor == 0 {
		cfg.SpeedFactor = 1
	}
	if cfg.SpeedFactor < 0 {
		return nil, fmt.Errorf("px4sitl: invalid speed factor %v", cfg.SpeedFactor)
	}
	if cfg.WorkDir == "" {
		cfg.WorkDir = os.TempDir()
	}
	if cfg.ReadyTimeout == 0 {
		cfg.ReadyTimeout = 2 * time.Minute
	}
	if cfg.ReadyListen == nil {
		cfg.ReadyListen = func(n int) string { return loopback(apiRemotePort + n) }
	}
	return &Launcher{cfg: cfg}, nil
}

func loopback(port int) string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(port)) }

// Command is how instance n is run (from its fresh working directory):
// the executable, its arguments and the environment added to the
// harness's.
func (l *Launcher) Command(n int) (path string, args []string, env []string) {
	path = filepath.Join(l.cfg.Dir, "bin", "px4")
	args = []string{"-i", strconv.Itoa(n), "-d", filepath.Join(l.cfg.Dir, "etc")}
	env = []string{
		"PX4_SIM_MODEL=" + l.cfg.Model,
		"PX4_SIMULATOR=" + l.cfg.Simulator,
		"PX4_SIM_SPEED_FACTOR=" + strconv.FormatFloat(l.cfg.SpeedFactor, 'g', -1, 64),
	}
	if h := l.cfg.Home; h != nil {
		env = append(env,
			"PX4_HOME_LAT="+strconv.FormatFloat(h.Lat, 'f', -1, 64),
			"PX4_HOME_LON="+strconv.FormatFloat(h.Lon, 'f', -1, 64),
			"PX4_HOME_ALT="+strconv.FormatFloat(h.Alt, 'f', -1, 64))
	}
	return path, args, append(env, l.cfg.Env...)
}

// Instance is a running PX4 SITL instance.
type Instance struct {
	// N is the instance number (px4 -i).
	N int
	// SystemID is PX4's MAV_SYS_ID for the instance: N+1.
	SystemID uint8
	// GCSAddr and APIAddr are where the instance's links listen; a client
	// sending there becomes the link's partner.
	GCSAddr, APIAddr string
	// GCSRemote and APIRemote are where the links send until then.
	GCSRemote, APIRemote string
	// Dir is the instance's working directory.
	Dir string
	// Process is px4 itself.
	Process *proc.Process
}

// Start launches instance n and waits until it is ready. On failure
// nothing is left running.
func (l *Launcher) Start(ctx context.Context, n int) (*Instance, error) {
	if n < 0 || n > 200 {
		return nil, fmt.Errorf("px4sitl: instance %d out of range", n)
	}
	dir, err := os.MkdirTemp(l.cfg.WorkDir, fmt.Sprintf("px4-sitl-%d-", n))
	if err != nil {
		return nil, fmt.Errorf("px4sitl: %w", err)
	}
	inst := &Instance{
		N:         n,
		SystemID:  uint8(n + 1),
		GCSAddr:   loopback(gcsLocalPort + n),
		APIAddr:   loopback(apiLocalPort + n),
		GCSRemote: loopback(gcsRemotePort),
		APIRemote: loopback(apiRemotePort + n),
		Dir:       dir,
	}
	waiter, err := ListenReady(l.cfg.ReadyListen(n))
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	defer waiter.Close()

	logDir := l.cfg.LogDir
	if logDir == "" {
		logDir = dir
	}
	path, args, env := l.Command(n)
	p, err := proc.Start(proc.Spec{Name: fmt.Sprintf("px4-sitl-%d", n), Path: path, Args: args, Env: env, Dir: dir, LogDir: logDir})
	if err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("px4sitl: %w", err)
	}
	inst.Process = p

	wctx, cancel := context.WithTimeout(ctx, l.cfg.ReadyTimeout)
	defer cancel()
	go func() {
		select {
		case <-p.Done(): // px4 died: stop waiting
			cancel()
		case <-wctx.Done():
		}
	}()
	if err := waiter.Wait(wctx, inst.SystemID); err != nil {
		if p.Exited() {
			err = fmt.Errorf("px4sitl: px4 exited before it was ready (%v); see %s: %w", p.Err(), p.LogPath, err)
		} else {
			err = fmt.Errorf("%w; px4's console log: %s", err, p.LogPath)
		}
		inst.Close()
		return nil, err
	}
	return inst, nil
}

// Close stops px4 (SIGTERM to its process group, SIGKILL after a grace
// period) and removes the working directory.
func (i *Instance) Close() error {
	var err error
	if i.Process != nil {
		err = i.Process.Stop(5 * time.Second)
	}
	return errors.Join(err, os.RemoveAll(i.Dir))
}
