package containers

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/api/pkg/stdcopy"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
	"github.com/testcontainers/testcontainers-go"
	tclog "github.com/testcontainers/testcontainers-go/log"
	"golang.org/x/sys/unix"
)

// Spec describes a container to create.
type Spec struct {
	// Name names the log file (<LogDir>/<Name>.log) and, with the run ID
	// and a random suffix, the container.
	Name string
	// Role labels the container: gateway, controller or device.
	Role string
	// Image is the image reference.
	Image string
	// Cmd are the arguments to the image's entrypoint.
	Cmd []string
	// Env is KEY=VALUE pairs.
	Env []string
	// User overrides the image's user ("uid:gid").
	User string
	// HostNetwork runs the container in the host's network namespace.
	HostNetwork bool
	// Network attaches the container to a session network (ignored with
	// HostNetwork), under Aliases.
	Network *Network
	Aliases []string
	// Binds are host:container[:ro] bind mounts.
	Binds []string
	// LogDir receives the container's combined output.
	LogDir string
	// Stdout, if set, also receives the container's standard output.
	Stdout io.Writer
}

// Container is a container created by a Session. It can be started again
// after it exits, and keeps its identity (and its writable layer) across
// restarts until it is removed.
type Container struct {
	// ID is the Docker container ID.
	ID string
	// Name is the Docker container name.
	Name string

	s       *Session
	spec    Spec
	logPath string

	mu      sync.Mutex
	done    chan struct{} // closed when the current incarnation exits
	exitErr error
	pid     int
	removed bool

	removeOnce sync.Once
	removeErr  error
}

var initTrue = true

// Create creates (but does not start) a container through testcontainers.
func (s *Session) Create(ctx context.Context, spec Spec) (*Container, error) {
	if spec.LogDir == "" {
		return nil, errors.New("containers: LogDir is required")
	}
	if err := os.MkdirAll(spec.LogDir, 0o755); err != nil {
		return nil, err
	}
	p, err := provider()
	if err != nil {
		return nil, err
	}
	defer p.Close()
	name := fmt.Sprintf("wasmbed-%s-%s-%s", s.runID, spec.Name, randomSuffix())
	req := testcontainers.ContainerRequest{
		Image:  spec.Image,
		Cmd:    spec.Cmd,
		Labels: labels(s.runID, spec.Role),
		Name:   name,
		ConfigModifier: func(c *container.Config) {
			c.Env = append(c.Env, spec.Env...)
			if spec.User != "" {
				c.User = spec.User
			}
		},
		HostConfigModifier: func(hc *container.HostConfig) {
			// docker-init is PID 1: it reaps and forwards signals, and the
			// firmware, which runs as a QEMU guest's init when it is PID 1,
			// stays a host-style process.
			hc.Init = &initTrue
			hc.Binds = append(hc.Binds, spec.Binds...)
			if spec.HostNetwork {
				hc.NetworkMode = "host"
			}
		},
	}
	if !spec.HostNetwork && spec.Network != nil {
		req.Networks = []string{spec.Network.Name}
		req.NetworkAliases = map[string][]string{spec.Network.Name: spec.Aliases}
	}
	tc, err := testcontainers.GenericContainer(ctx, testcontainers.GenericContainerRequest{
		ContainerRequest: req, Started: false, Logger: tclog.NewNoopLogger(),
	})
	if err != nil {
		if tc != nil {
			_ = tc.Terminate(context.Background())
		}
		return nil, fmt.Errorf("create container %s from %s: %w", name, spec.Image, err)
	}
	c := &Container{ID: tc.GetContainerID(), Name: name, s: s, spec: spec,
		logPath: filepath.Join(spec.LogDir, spec.Name+".log")}
	closed := make(chan struct{})
	close(closed)
	c.done = closed
	if err := s.track(c); err != nil {
		_, _ = s.cli.ContainerRemove(context.Background(), c.ID, client.ContainerRemoveOptions{Force: true})
		return nil, err
	}
	return c, nil
}

// LogPath is the container's log file.
func (c *Container) LogPath() string { return c.logPath }

// Start starts the container and streams its output into its log file.
func (c *Container) Start(ctx context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.removed {
		return fmt.Errorf("container %s was removed", c.Name)
	}
	select {
	case <-c.done:
	default:
		return fmt.Errorf("%s is already running", c.spec.Name)
	}
	cli := c.s.cli
	// Attach before starting, as `docker run` does, so no output is lost.
	att, err := cli.ContainerAttach(context.Background(), c.ID, client.ContainerAttachOptions{Stream: true, Stdout: true, Stderr: true})
	if err != nil {
		return fmt.Errorf("attach %s: %w", c.Name, err)
	}
	f, err := os.OpenFile(c.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		att.Close()
		return err
	}
	fmt.Fprintf(f, "=== %s start container %s (%s) %v\n", time.Now().Format(time.RFC3339Nano), c.Name, c.spec.Image, c.spec.Cmd)
	var stdout io.Writer = f
	if c.spec.Stdout != nil {
		stdout = io.MultiWriter(f, c.spec.Stdout)
	}
	copied := make(chan struct{})
	go func() {
		_, _ = stdcopy.StdCopy(stdout, f, att.Reader)
		close(copied)
	}()
	if _, err := cli.ContainerStart(ctx, c.ID, client.ContainerStartOptions{}); err != nil {
		att.Close()
		<-copied
		f.Close()
		return fmt.Errorf("start %s: %w", c.Name, err)
	}
	done := make(chan struct{})
	c.done, c.exitErr, c.pid = done, nil, 0
	if insp, err := cli.ContainerInspect(ctx, c.ID, client.ContainerInspectOptions{}); err == nil && insp.Container.State != nil {
		c.pid = insp.Container.State.Pid
	}
	go func() {
		// The attach stream ends when the container's process does; the
		// daemon then reports the exit code.
		<-copied
		att.Close()
		exitErr := c.exitStatus()
		fmt.Fprintf(f, "=== %s exit: %v\n", time.Now().Format(time.RFC3339Nano), exitText(exitErr))
		f.Close()
		c.mu.Lock()
		c.exitErr, c.pid = exitErr, 0
		c.mu.Unlock()
		close(done)
	}()
	return nil
}

// exitStatus waits until the daemon reports the container not running and
// returns its exit status as an error (nil for 0).
func (c *Container) exitStatus() error {
	ctx, cancel := context.WithTimeout(context.Background(), removeTimeout)
	defer cancel()
	w := c.s.cli.ContainerWait(ctx, c.ID, client.ContainerWaitOptions{Condition: container.WaitConditionNotRunning})
	select {
	case r := <-w.Result:
		if r.Error != nil && r.Error.Message != "" {
			return errors.New(r.Error.Message)
		}
		if r.StatusCode != 0 {
			return fmt.Errorf("exit status %d", r.StatusCode)
		}
		return nil
	case err := <-w.Error:
		if cerrdefs.IsNotFound(err) {
			return errors.New("container removed")
		}
		return err
	}
}

func exitText(err error) string {
	if err == nil {
		return "exit status 0"
	}
	return err.Error()
}

// Done is closed when the current incarnation has exited.
func (c *Container) Done() <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.done
}

// Exited reports whether the current incarnation has exited (or none was
// started).
func (c *Container) Exited() bool {
	select {
	case <-c.Done():
		return true
	default:
		return false
	}
}

// Err is the exit status of the last incarnation once it has exited.
func (c *Container) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.exitErr
}

// PID is the host PID of the container's main process, or 0.
func (c *Container) PID() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.pid
}

// Signal delivers sig to the container's main process.
func (c *Container) Signal(sig syscall.Signal) error {
	if c.Exited() {
		return nil
	}
	_, err := c.s.cli.ContainerKill(context.Background(), c.ID, client.ContainerKillOptions{Signal: unix.SignalName(sig)})
	if err != nil && c.Exited() {
		return nil
	}
	return err
}

// Kill ends the container with SIGKILL — a power cut — and waits for it.
func (c *Container) Kill() {
	_ = c.Signal(syscall.SIGKILL)
	<-c.Done()
}

// Stop sends SIGTERM, waits up to grace, then SIGKILL, as `docker stop`.
func (c *Container) Stop(grace time.Duration) error {
	if c.Exited() {
		return nil
	}
	secs := int(grace.Round(time.Second) / time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), grace+removeTimeout)
	defer cancel()
	if _, err := c.s.cli.ContainerStop(ctx, c.ID, client.ContainerStopOptions{Timeout: &secs}); err != nil && !c.Exited() {
		return fmt.Errorf("stop %s: %w", c.Name, err)
	}
	select {
	case <-c.Done():
		return nil
	case <-ctx.Done():
		return fmt.Errorf("%s did not stop within %s", c.Name, grace)
	}
}

// Pause freezes every process of the container (cgroup freezer): the
// device neither sends nor answers, and its TCP peer sees nothing.
func (c *Container) Pause(ctx context.Context) error {
	_, err := c.s.cli.ContainerPause(ctx, c.ID, client.ContainerPauseOptions{})
	return err
}

// Unpause thaws a paused container.
func (c *Container) Unpause(ctx context.Context) error {
	_, err := c.s.cli.ContainerUnpause(ctx, c.ID, client.ContainerUnpauseOptions{})
	return err
}

// Disconnect removes the container from its network: its interface
// vanishes, nothing is sent to its peers (no FIN, no RST), and its
// connections are half-open until they time out.
func (c *Container) Disconnect(ctx context.Context) error {
	if c.spec.Network == nil || c.spec.HostNetwork {
		return fmt.Errorf("%s is not on a session network", c.Name)
	}
	_, err := c.s.cli.NetworkDisconnect(ctx, c.spec.Network.ID, client.NetworkDisconnectOptions{Container: c.ID, Force: true})
	return err
}

// Reconnect attaches the container to its network again, with its aliases.
func (c *Container) Reconnect(ctx context.Context) error {
	if c.spec.Network == nil || c.spec.HostNetwork {
		return fmt.Errorf("%s is not on a session network", c.Name)
	}
	return c.spec.Network.connect(ctx, c.ID, c.spec.Aliases)
}

// remove force-removes the container and forgets it. Concurrent callers
// all wait for the one removal to finish.
func (c *Container) remove(ctx context.Context) error {
	c.removeOnce.Do(func() {
		c.mu.Lock()
		c.removed = true
		done := c.done
		c.mu.Unlock()
		rctx, cancel := context.WithTimeout(context.Background(), removeTimeout)
		defer cancel()
		_, err := c.s.cli.ContainerRemove(rctx, c.ID, client.ContainerRemoveOptions{Force: true, RemoveVolumes: true})
		if err != nil && !cerrdefs.IsNotFound(err) {
			c.removeErr = fmt.Errorf("remove container %s: %w", c.Name, err)
		}
		select {
		case <-done:
		case <-rctx.Done():
		}
		c.s.untrack(c)
	})
	return c.removeErr
}

// Remove force-removes the container.
func (c *Container) Remove(ctx context.Context) error { return c.remove(ctx) }
