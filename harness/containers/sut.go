package containers

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/wasmbed/wasmbed/harness/env"
	"github.com/wasmbed/wasmbed/harness/fleet"
	"github.com/wasmbed/wasmbed/harness/proc"
	"github.com/wasmbed/wasmbed/harness/sutproc"
)

// SUTLauncher runs the gateway and the controller as containers of their
// images. It implements sutproc.Launcher: pass it as
// sutproc.Options.Launcher (testbed.Options.SUT.Launcher).
type SUTLauncher struct {
	s *Session
}

// SUTLauncher returns the session's launcher for SUT components.
func (s *Session) SUTLauncher() *SUTLauncher { return &SUTLauncher{s: s} }

// Launch implements sutproc.Launcher. The image is chosen by the base name
// of spec.Path (gateway or controller); the arguments are passed as they
// are, which works because the container shares the host's network and
// sees every absolute path argument, and the log folder, at its host path.
func (l *SUTLauncher) Launch(spec proc.Spec) (sutproc.Instance, error) {
	role := filepath.Base(spec.Path)
	ref := l.s.images.Ref(role)
	if ref == "" || role == "device" {
		return nil, fmt.Errorf("containers: no SUT image for %q", spec.Path)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c, err := l.s.Create(ctx, Spec{
		Name:        spec.Name,
		Role:        role,
		Image:       ref,
		Cmd:         spec.Args,
		Env:         spec.Env,
		User:        strconv.Itoa(os.Getuid()) + ":" + strconv.Itoa(os.Getgid()),
		HostNetwork: true,
		Binds:       hostPathBinds(spec),
		LogDir:      spec.LogDir,
		Stdout:      spec.Stdout,
	})
	if err != nil {
		return nil, err
	}
	if err := c.Start(ctx); err != nil {
		_ = c.remove(context.Background())
		return nil, err
	}
	inst := &sutInstance{c: c}
	// An incarnation is one container: remove it once it has exited, so a
	// restart (a new Launch) leaves nothing behind.
	go func() {
		<-c.Done()
		_ = c.remove(context.Background())
	}()
	return inst, nil
}

// hostPathBinds mounts, read-write at the same path, the log folder and
// the folder of every absolute path passed as --flag=/path.
func hostPathBinds(spec proc.Spec) []string {
	seen := map[string]bool{}
	var binds []string
	add := func(dir string) {
		if dir == "" || seen[dir] {
			return
		}
		seen[dir] = true
		binds = append(binds, dir+":"+dir)
	}
	add(spec.LogDir)
	for _, a := range spec.Args {
		_, v, ok := strings.Cut(a, "=")
		if !ok || !filepath.IsAbs(v) {
			continue
		}
		st, err := os.Stat(v)
		if err != nil {
			continue
		}
		if st.IsDir() {
			add(v)
		} else {
			add(filepath.Dir(v))
		}
	}
	return binds
}

// sutInstance adapts a Container to sutproc.Instance.
type sutInstance struct{ c *Container }

func (i *sutInstance) PID() int                        { return i.c.PID() }
func (i *sutInstance) Done() <-chan struct{}           { return i.c.Done() }
func (i *sutInstance) Exited() bool                    { return i.c.Exited() }
func (i *sutInstance) Err() error                      { return i.c.Err() }
func (i *sutInstance) Signal(sig syscall.Signal) error { return i.c.Signal(sig) }
func (i *sutInstance) Kill()                           { i.c.Kill() }
func (i *sutInstance) Stop(grace time.Duration) error  { return i.c.Stop(grace) }
func (i *sutInstance) LogFile() string                 { return i.c.LogPath() }

// Container exposes the incarnation's container, for network faults on
// the SUT side.
func (i *sutInstance) Container() *Container { return i.c }

// ForEnv opens a Session for one spec and closes it (removing every
// container and network it made) when the Env closes. Register it before
// the testbed so its cleanup runs after the SUT's.
func ForEnv(ctx context.Context, e *env.Env) (*Session, error) {
	s, err := NewSession(ctx, Options{RunID: e.Config.RunID, Progress: e.Progress})
	if err != nil {
		return nil, err
	}
	e.Defer("remove containers and networks", s.Close)
	return s, nil
}

// BackendFactory is a testbed.Options.Backends entry for container
// devices: it opens a Session for the Env and returns its device backend.
func BackendFactory(e *env.Env) (fleet.Backend, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	s, err := ForEnv(ctx, e)
	if err != nil {
		return nil, err
	}
	return s.NewDeviceBackend(ctx)
}

// Backends returns testbed.Options.Backends entries that launch container
// devices through this session, under the name "containers".
func (s *Session) Backends() map[string]func(*env.Env) (fleet.Backend, error) {
	return map[string]func(*env.Env) (fleet.Backend, error){
		"containers": func(*env.Env) (fleet.Backend, error) {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			return s.NewDeviceBackend(ctx)
		},
	}
}

var _ sutproc.Launcher = (*SUTLauncher)(nil)
