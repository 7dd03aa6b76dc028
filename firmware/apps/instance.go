package apps

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/experimental"
	"github.com/tetratelabs/wazero/sys"

	"github.com/wasmbed/wasmbed/sut/abi"
)

// instance is one instantiation of an app's program: what a restart
// replaces. Only the app's goroutine calls into it.
type instance struct {
	app   *app
	mod   api.Module
	guard *memGuard
	// The exports the device calls; nil when absent.
	initialize, start, init, tick, onMessage, alloc api.Function
	stdout, stderr                                  *lineWriter
}

type instanceKey struct{}

// instanceFrom returns the instance a host function was called from.
func instanceFrom(ctx context.Context) *instance {
	in, _ := ctx.Value(instanceKey{}).(*instance)
	return in
}

// instantiate creates a fresh instance of the app's program. Nothing runs
// yet except a module's start function, under the same limits as a call.
func (a *app) instantiate() (*instance, error) {
	in := &instance{app: a, guard: newMemGuard(a.spec.Limits.MaxMemoryPages)}
	cfg := wazero.NewModuleConfig().
		WithName(fmt.Sprintf("%s#%d", a.spec.Name, a.m.engine.seq.Add(1))).
		WithStartFunctions() // the app's entry points run under call()
	if a.spec.Capabilities.WASI {
		in.stdout = newLineWriter(a, streamStdout)
		in.stderr = newLineWriter(a, streamStderr)
		cfg = cfg.WithArgs(append([]string{a.spec.Name}, a.spec.Args...)...).
			WithStdout(in.stdout).WithStderr(in.stderr).
			WithSysWalltime().WithSysNanotime().WithNanosleep(a.nanosleep).
			WithRandSource(rand.Reader)
		keys := make([]string, 0, len(a.spec.Env))
		for k := range a.spec.Env {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			cfg = cfg.WithEnv(k, a.spec.Env[k])
		}
		// No WithFSConfig: WASI apps get no preopened directory at all.
	}

	ctx, cancel := context.WithTimeout(a.ctx, a.spec.Limits.MaxExecution)
	defer cancel()
	ctx = context.WithValue(ctx, instanceKey{}, in)
	ctx = experimental.WithMemoryAllocator(ctx, in.guard)
	mod, err := a.m.engine.rt.InstantiateModule(ctx, a.prog.compiled, cfg)
	if err != nil {
		if a.prog.layout.HasStart {
			return nil, in.classify("start function", err)
		}
		e := failf(a.spec.Name, abi.ReasonInvalidModule, "cannot instantiate the module: %s", firstLine(err.Error()))
		e.Permanent = true
		return nil, e
	}
	in.mod = mod
	fn := func(present bool, name string) api.Function {
		if !present {
			return nil
		}
		return mod.ExportedFunction(name)
	}
	p := a.prog
	in.initialize, in.start, in.init = fn(p.initialize, abi.ExportInitialize), fn(p.start, abi.ExportStart), fn(p.init, abi.ExportInit)
	in.tick, in.onMessage, in.alloc = fn(p.tick, abi.ExportTick), fn(p.onMessage, abi.ExportOnMessage), fn(p.alloc, abi.ExportAlloc)
	in.recordMemory()
	return in, nil
}

// close releases the instance and its memory.
func (in *instance) close() {
	in.stdout.flush()
	in.stderr.flush()
	if in.mod != nil {
		_ = in.mod.Close(context.Background())
	}
	in.app.memBytes.Store(0)
}

func (in *instance) recordMemory() {
	if in.app.prog.layout.HasMemory && in.mod != nil {
		in.app.memBytes.Store(uint64(in.mod.Memory().Size()))
	}
}

// call runs one export under the app's execution limit. Its error is nil,
// errStopped, errCompleted or an *abi.Error.
func (in *instance) call(phase string, fn api.Function, args ...uint64) ([]uint64, error) {
	a := in.app
	ctx, cancel := context.WithTimeout(a.ctx, a.spec.Limits.MaxExecution)
	defer cancel()
	ctx = context.WithValue(ctx, instanceKey{}, in)
	in.guard.reset()
	res, err := fn.Call(ctx, args...)
	in.recordMemory()
	if err != nil {
		return nil, in.classify(phase, err)
	}
	return res, nil
}

// startup runs the app's initialisation: _initialize, then init, or a
// WASI command's _start.
func (in *instance) startup() error {
	if in.initialize != nil {
		if _, err := in.call(abi.ExportInitialize, in.initialize); err != nil {
			return err
		}
	}
	switch {
	case in.init != nil:
		_, err := in.call(abi.ExportInit, in.init)
		return err
	case in.start != nil && in.app.spec.Capabilities.WASI:
		_, err := in.call(abi.ExportStart, in.start)
		return err
	}
	return nil
}

// deliver copies a message into guest memory (at the address alloc
// returns) and calls on_message.
func (in *instance) deliver(msg message) error {
	if in.onMessage == nil {
		return nil
	}
	a := in.app
	size := len(msg.topic) + len(msg.data)
	res, err := in.call(abi.ExportAlloc, in.alloc, uint64(size))
	if err != nil {
		return err
	}
	ptr := api.DecodeU32(res[0])
	if ptr == 0 {
		a.log.Warn("alloc returned 0: message dropped", "topic", msg.topic, "bytes", size)
		return nil
	}
	mem := in.mod.Memory()
	if uint64(ptr)+uint64(size) > uint64(mem.Size()) {
		return failf(a.spec.Name, abi.ReasonTrap, "alloc(%d) returned %d, but [%d, %d) is outside linear memory (%d bytes)",
			size, ptr, ptr, uint64(ptr)+uint64(size), mem.Size())
	}
	mem.WriteString(ptr, msg.topic)
	mem.Write(ptr+uint32(len(msg.topic)), msg.data)
	_, err = in.call(abi.ExportOnMessage, in.onMessage,
		uint64(ptr), uint64(len(msg.topic)), uint64(ptr)+uint64(len(msg.topic)), uint64(len(msg.data)))
	return err
}

// classify turns a call's error into an outcome: errStopped when the app
// is being stopped, errCompleted for proc_exit(0), otherwise an *abi.Error
// whose reason says why it failed.
func (in *instance) classify(phase string, err error) error {
	a := in.app
	var exit *sys.ExitError
	if errors.As(err, &exit) {
		switch exit.ExitCode() {
		case sys.ExitCodeDeadlineExceeded:
			return failf(a.spec.Name, abi.ReasonTimeout, "%s did not return within the %v execution limit", phase, a.spec.Limits.MaxExecution)
		case sys.ExitCodeContextCanceled:
			return errStopped
		case 0:
			return errCompleted
		default:
			return failf(a.spec.Name, abi.ReasonExit, "%s: the app exited with code %d", phase, exit.ExitCode())
		}
	}
	if a.ctx.Err() != nil {
		return errStopped
	}
	trap := trapMessage(err)
	if pages, refused := in.guard.refusedPages(); refused {
		return &abi.Error{App: a.spec.Name, Reason: abi.ReasonMemoryLimit, Err: err,
			Message: fmt.Sprintf("%s: memory.grow to %d pages was refused (maxMemoryPages is %d), then %s",
				phase, pages, a.spec.Limits.MaxMemoryPages, trap)}
	}
	return &abi.Error{App: a.spec.Name, Reason: abi.ReasonTrap, Err: err, Message: phase + ": " + trap}
}

// trapMessage shortens wazero's error to its first line and the innermost
// frame of the app itself (not a host function it called):
// "wasm error: unreachable (in crash.tick)".
func trapMessage(err error) string {
	lines := strings.Split(err.Error(), "\n")
	msg := strings.TrimSuffix(strings.TrimSpace(lines[0]), " (recovered by wazero)")
	if msg == "stack overflow" { // the compiler reports it bare; the interpreter as a wasm error
		msg = "wasm error: stack overflow"
	}
	inTrace := false
	for _, l := range lines[1:] {
		frame := strings.TrimSpace(l)
		switch {
		case frame == "wasm stack trace:":
			inTrace = true
			continue
		case !inTrace || frame == "":
			continue
		case strings.HasPrefix(frame, abi.ModuleName+"."), strings.HasPrefix(frame, abi.WASIModuleName+"."):
			continue
		}
		if j := strings.IndexByte(frame, '('); j > 0 {
			frame = frame[:j]
		}
		return msg + " (in " + strings.TrimPrefix(frame, ".") + ")" // "." prefix: a module without a name
	}
	return msg
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// nanosleep backs WASI's poll_oneoff clock waits. It cannot see the call's
// context, so it never sleeps longer than the execution limit (a longer
// sleep would time out anyway) and wakes when the app stops.
func (a *app) nanosleep(ns int64) {
	d := min(time.Duration(ns), a.spec.Limits.MaxExecution)
	if d <= 0 {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-a.ctx.Done():
	}
}
