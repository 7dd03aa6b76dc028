package sutproc

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/wasmbed/wasmbed/harness/proc"
)

// Component is one SUT process that can be stopped, killed and started
// again with the same arguments.
type Component struct {
	Name   string
	bin    string
	args   []string
	logDir string
	// launcher starts each incarnation; host processes if nil.
	launcher Launcher

	mu    sync.Mutex
	p     Instance
	ready map[string]string // key=value pairs of the last READY line
}

// Start launches the process and, if waitReady, waits for its READY line.
func (c *Component) Start(ctx context.Context, waitReady bool) error {
	c.mu.Lock()
	if c.p != nil && !c.p.Exited() {
		c.mu.Unlock()
		return fmt.Errorf("%s is already running", c.Name)
	}
	readyCh := make(chan map[string]string, 1)
	pr, pw := io.Pipe()
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			if line, ok := strings.CutPrefix(sc.Text(), "READY "); ok {
				kv := map[string]string{}
				for _, f := range strings.Fields(line) {
					k, v, _ := strings.Cut(f, "=")
					kv[k] = v
				}
				// Every incarnation's READY line is recorded, whether or not
				// Start waits for it: a restarted component's addresses
				// (MetricsAddr) follow it.
				c.mu.Lock()
				c.ready = kv
				c.mu.Unlock()
				select {
				case readyCh <- kv:
				default:
				}
			}
		}
		_, _ = io.Copy(io.Discard, pr)
	}()
	l := c.launcher
	if l == nil {
		l = processLauncher{}
	}
	p, err := l.Launch(proc.Spec{Name: c.Name, Path: c.bin, Args: c.args, LogDir: c.logDir, Stdout: pw})
	if err != nil {
		c.mu.Unlock()
		pw.Close()
		return err
	}
	go func() { <-p.Done(); pw.Close() }()
	c.p = p
	c.ready = nil // the previous incarnation's addresses
	c.mu.Unlock()
	if !waitReady {
		return nil
	}
	select {
	case kv := <-readyCh:
		c.mu.Lock()
		c.ready = kv
		c.mu.Unlock()
		return nil
	case <-p.Done():
		return fmt.Errorf("%s exited before it was ready (%v); see %s", c.Name, p.Err(), p.LogFile())
	case <-ctx.Done():
		return fmt.Errorf("%s not ready: %w; see %s", c.Name, ctx.Err(), p.LogFile())
	}
}

// Stop sends SIGTERM and waits up to grace before killing.
func (c *Component) Stop(grace time.Duration) error {
	c.mu.Lock()
	p := c.p
	c.mu.Unlock()
	if p == nil {
		return nil
	}
	return p.Stop(grace)
}

// Kill ends the process with SIGKILL: no graceful shutdown.
func (c *Component) Kill() {
	c.mu.Lock()
	p := c.p
	c.mu.Unlock()
	if p != nil {
		p.Kill()
	}
}

// Signal sends sig to the process.
func (c *Component) Signal(sig syscall.Signal) error {
	c.mu.Lock()
	p := c.p
	c.mu.Unlock()
	if p == nil {
		return nil
	}
	return p.Signal(sig)
}

// Running reports whether the process is up.
func (c *Component) Running() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.p != nil && !c.p.Exited()
}

// PID of the current process, or 0.
func (c *Component) PID() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.p == nil || c.p.Exited() {
		return 0
	}
	return c.p.PID()
}

// LogPath is the process's log file.
func (c *Component) LogPath() string {
	return c.logDir + "/" + c.Name + ".log"
}

// MetricsAddr is the host:port of the current incarnation's /metrics, as
// its READY line reported it; empty until then. A component that has
// exited keeps the address of its last incarnation.
func (c *Component) MetricsAddr() string { return c.readyValue("metrics") }

func (c *Component) readyValue(key string) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.ready[key]
}
