package sutproc

import (
	"syscall"
	"time"

	"github.com/wasmbed/wasmbed/harness/proc"
)

// Launcher starts one incarnation of a SUT component. The default runs it
// as a host process; harness/containers supplies one that runs the
// component's image instead, with the same arguments, so the rest of this
// package (and every spec) is unchanged.
type Launcher interface {
	// Launch starts spec. spec.Path is the host binary of the component
	// (gateway or controller); spec.Stdout, if set, must receive the
	// component's standard output as it is written.
	Launch(spec proc.Spec) (Instance, error)
}

// Instance is one running incarnation of a component.
type Instance interface {
	// PID is a host process id of the component.
	PID() int
	// Done is closed when the incarnation has exited.
	Done() <-chan struct{}
	// Exited reports whether Done is closed.
	Exited() bool
	// Err is the exit error once it has exited.
	Err() error
	// Signal delivers sig to the component.
	Signal(sig syscall.Signal) error
	// Kill ends it with SIGKILL and waits for the exit.
	Kill()
	// Stop asks it to exit with SIGTERM and kills it after grace.
	Stop(grace time.Duration) error
	// LogFile is where its combined output is written.
	LogFile() string
}

// processLauncher is the default Launcher: a host process per incarnation.
type processLauncher struct{}

func (processLauncher) Launch(spec proc.Spec) (Instance, error) {
	p, err := proc.Start(spec)
	if err != nil {
		return nil, err
	}
	return processInstance{p}, nil
}

type processInstance struct{ *proc.Process }

func (p processInstance) LogFile() string { return p.LogPath }
