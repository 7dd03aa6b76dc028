package containers

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/moby/moby/client"
	"github.com/testcontainers/testcontainers-go"
	tclog "github.com/testcontainers/testcontainers-go/log"

	"github.com/wasmbed/wasmbed/harness/images"
)

// Progress receives progress lines.
type Progress interface {
	Printf(format string, args ...any)
}

// Options shape a Session.
type Options struct {
	// RunID labels what the session creates; "adhoc" if empty.
	RunID string
	// Images are the SUT images to run; built (or found) with
	// images.Ensure if zero.
	Images images.Set
	// Progress receives progress lines; nil is silent.
	Progress Progress
}

// Session owns the containers and networks of one harness process (or one
// spec). Close removes all of them.
type Session struct {
	cli    *client.Client
	runID  string
	images images.Set
	pr     Progress

	mu         sync.Mutex
	containers map[string]*Container
	networks   map[string]*Network
	closed     bool
}

var (
	ryukOnce sync.Once

	builtMu  sync.Mutex
	builtSet images.Set
)

// processImages builds the SUT images once per process: every spec's
// Session then reuses the same Set.
func processImages(ctx context.Context, cli *client.Client, pr Progress) (images.Set, error) {
	builtMu.Lock()
	defer builtMu.Unlock()
	if builtSet.Gateway.Ref != "" {
		return builtSet, nil
	}
	set, err := images.Ensure(ctx, images.Options{Client: cli, Progress: pr})
	if err != nil {
		return images.Set{}, err
	}
	builtSet = set
	return set, nil
}

// disableRyuk turns testcontainers' reaper off before testcontainers reads
// its configuration: the reaper's image cannot be pulled here, and the
// session's own labels and sweep replace it.
func disableRyuk() {
	ryukOnce.Do(func() {
		os.Setenv("TESTCONTAINERS_RYUK_DISABLED", "true")
		tclog.SetDefault(tclog.NewNoopLogger())
	})
}

// NewSession connects to Docker, sweeps what dead harness processes left
// behind, and makes sure the SUT images exist.
func NewSession(ctx context.Context, o Options) (*Session, error) {
	disableRyuk()
	cli, err := images.Connect(ctx)
	if err != nil {
		return nil, err
	}
	pr := o.Progress
	if pr == nil {
		pr = silent{}
	}
	swept, err := Sweep(ctx, cli, SweepOptions{})
	if err != nil {
		pr.Printf("sweep of leftovers incomplete: %v", err)
	}
	if n := len(swept.Containers) + len(swept.Networks); n > 0 {
		pr.Printf("removed %d container(s) and %d network(s) left behind by killed runs", len(swept.Containers), len(swept.Networks))
	}
	set := o.Images
	if set.Gateway.Ref == "" || set.Controller.Ref == "" || set.Device.Ref == "" {
		if set, err = processImages(ctx, cli, pr); err != nil {
			cli.Close()
			return nil, err
		}
	}
	runID := o.RunID
	if runID == "" {
		runID = "adhoc"
	}
	return &Session{
		cli: cli, runID: runID, images: set, pr: pr,
		containers: map[string]*Container{}, networks: map[string]*Network{},
	}, nil
}

// Client is the session's Docker client.
func (s *Session) Client() *client.Client { return s.cli }

// Images are the SUT images the session runs.
func (s *Session) Images() images.Set { return s.images }

// Close removes every container and network the session created, then
// sweeps by label anything of this process's that is left (a container
// created by a call that failed half-way). It is safe to call twice.
func (s *Session) Close(ctx context.Context) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	cs := make([]*Container, 0, len(s.containers))
	for _, c := range s.containers {
		cs = append(cs, c)
	}
	ns := make([]*Network, 0, len(s.networks))
	for _, n := range s.networks {
		ns = append(ns, n)
	}
	s.mu.Unlock()

	var errs []error
	for _, c := range cs {
		if err := c.remove(ctx); err != nil {
			errs = append(errs, err)
		}
	}
	for _, n := range ns {
		if err := n.remove(ctx); err != nil {
			errs = append(errs, err)
		}
	}
	s.cli.Close()
	return errors.Join(errs...)
}

// SweepSelf removes everything this process created through any session.
// Call it at exit (the suite's last cleanup) as a backstop.
func SweepSelf(ctx context.Context) (Swept, error) {
	cli, err := images.Connect(ctx)
	if err != nil {
		return Swept{}, err
	}
	defer cli.Close()
	return Sweep(ctx, cli, SweepOptions{Owner: selfOwner})
}

// SweepDead removes what dead harness processes left behind; it is what a
// new Session does first, and what `harness sweep` runs.
func SweepDead(ctx context.Context) (Swept, error) {
	cli, err := images.Connect(ctx)
	if err != nil {
		return Swept{}, err
	}
	defer cli.Close()
	return Sweep(ctx, cli, SweepOptions{})
}

func (s *Session) track(c *Container) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return errors.New("containers: session closed")
	}
	s.containers[c.ID] = c
	return nil
}

func (s *Session) untrack(c *Container) {
	s.mu.Lock()
	delete(s.containers, c.ID)
	s.mu.Unlock()
}

// provider returns testcontainers' Docker provider, quiet.
func provider() (*testcontainers.DockerProvider, error) {
	disableRyuk()
	p, err := testcontainers.NewDockerProvider(testcontainers.WithLogger(tclog.NewNoopLogger()))
	if err != nil {
		return nil, fmt.Errorf("testcontainers: %w", err)
	}
	return p, nil
}

// removeTimeout bounds every cleanup call.
const removeTimeout = 30 * time.Second

type silent struct{}

func (silent) Printf(string, ...any) {}
