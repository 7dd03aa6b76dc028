package apps

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/sys"

	"github.com/wasmbed/wasmbed/sut/abi"
	"github.com/wasmbed/wasmbed/sut/modulecheck"
)

// The wasmbed host module. It is instantiated once per runtime; a host
// function finds the app that called it through the call's context (every
// call into an app carries its instance), so one module serves every app
// without sharing any state between them.
//
// A host function never trusts a guest pointer: every (ptr, len) is checked
// against the caller's linear memory, and a range outside it traps the app
// with a hostTrap naming the function and the range. wazero turns the
// panic into the call's error; the device carries on.

// hostFunc implements one host function for the calling instance.
type hostFunc func(in *instance, ctx context.Context, mod api.Module, stack []uint64)

var hostFuncs = map[string]hostFunc{
	abi.FuncLog:            hostLog,
	abi.FuncClockMs:        hostClockMs,
	abi.FuncTimeUnixMs:     hostTimeUnixMs,
	abi.FuncSleepMs:        hostSleepMs,
	abi.FuncYield:          hostYield,
	abi.FuncKVGet:          hostKVGet,
	abi.FuncKVSet:          hostKVSet,
	abi.FuncKVDelete:       hostKVDelete,
	abi.FuncPublish:        hostPublish,
	abi.FuncConfigGet:      hostConfigGet,
	abi.FuncDeviceInfo:     hostDeviceInfo,
	abi.FuncVehicleCommand: hostVehicleCommand,
}

func instantiateHostModule(ctx context.Context, rt wazero.Runtime) (api.Module, error) {
	b := rt.NewHostModuleBuilder(abi.ModuleName)
	for _, f := range abi.Functions() {
		impl, ok := hostFuncs[f.Name]
		if !ok {
			return nil, fmt.Errorf("no implementation of %s.%s", abi.ModuleName, f.Name)
		}
		b.NewFunctionBuilder().
			WithGoModuleFunction(guarded(f, impl), modulecheck.ValueTypes(f.Params), modulecheck.ValueTypes(f.Results)).
			WithName(f.Name).
			Export(f.Name)
	}
	return b.Instantiate(ctx)
}

// guarded finds the calling instance and re-checks the capability (the
// import check already refused ungranted imports; this keeps a host
// function safe even if that ever changed).
func guarded(f abi.Function, impl hostFunc) api.GoModuleFunc {
	return func(ctx context.Context, mod api.Module, stack []uint64) {
		in := instanceFrom(ctx)
		if in == nil {
			panic(&hostTrap{fn: f.Name, msg: "called outside a call from the device"})
		}
		if !in.app.spec.Capabilities.Grants(f.Capability) {
			panic(&hostTrap{fn: f.Name, msg: fmt.Sprintf("needs %s, which the Application does not grant", f.Capability.GrantedBy())})
		}
		impl(in, ctx, mod, stack)
	}
}

// hostTrap is the panic value of a host function that refuses to continue;
// the app fails with reason Trap and this message.
type hostTrap struct{ fn, msg string }

func (t *hostTrap) Error() string { return abi.ModuleName + "." + t.fn + ": " + t.msg }

// guestBytes returns the guest's memory [ptr, ptr+n), or traps.
func guestBytes(in *instance, mod api.Module, fn, what string, ptr, n uint32) []byte {
	if !in.app.prog.layout.HasMemory {
		panic(&hostTrap{fn: fn, msg: "the module has no linear memory for " + what})
	}
	mem := mod.Memory()
	b, ok := mem.Read(ptr, n)
	if !ok {
		panic(&hostTrap{fn: fn, msg: fmt.Sprintf("%s at [%d, %d) is outside linear memory (%d bytes)",
			what, ptr, uint64(ptr)+uint64(n), mem.Size())})
	}
	return b
}

// ret stores an i32 result.
func ret(stack []uint64, v int32) { stack[0] = api.EncodeI32(v) }

// exitFor returns the panic value that ends a call whose context is done.
func exitFor(ctx context.Context) *sys.ExitError {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return sys.NewExitError(sys.ExitCodeDeadlineExceeded)
	}
	return sys.NewExitError(sys.ExitCodeContextCanceled)
}

func hostLog(in *instance, _ context.Context, mod api.Module, stack []uint64) {
	level, ptr, n := api.DecodeI32(stack[0]), api.DecodeU32(stack[1]), api.DecodeU32(stack[2])
	msg := guestBytes(in, mod, abi.FuncLog, "message", ptr, n)
	lvl := slog.LevelInfo
	switch level {
	case abi.LogDebug:
		lvl = slog.LevelDebug
	case abi.LogWarn:
		lvl = slog.LevelWarn
	case abi.LogError:
		lvl = slog.LevelError
	}
	in.app.guestLog(lvl, streamLog, msg)
}

func hostClockMs(in *instance, _ context.Context, _ api.Module, stack []uint64) {
	stack[0] = uint64(time.Since(in.app.m.boot).Milliseconds())
}

func hostTimeUnixMs(_ *instance, _ context.Context, _ api.Module, stack []uint64) {
	stack[0] = uint64(time.Now().UnixMilli())
}

// hostSleepMs blocks, but never past the call's deadline: the sleep counts
// against the app's execution time.
func hostSleepMs(_ *instance, ctx context.Context, _ api.Module, stack []uint64) {
	ms := api.DecodeI32(stack[0])
	if ms <= 0 {
		hostYield(nil, ctx, nil, stack)
		return
	}
	t := time.NewTimer(time.Duration(ms) * time.Millisecond)
	defer t.Stop()
	select {
	case <-ctx.Done():
		panic(exitFor(ctx))
	case <-t.C:
	}
}

// hostYield ends the call here if its time is up.
func hostYield(_ *instance, ctx context.Context, _ api.Module, _ []uint64) {
	if ctx.Err() != nil {
		panic(exitFor(ctx))
	}
}

// kvKey reads and checks a key; ok is false (and the result set) for a bad
// one.
func kvKey(in *instance, mod api.Module, fn string, stack []uint64, ptr, n uint32) (string, bool) {
	if n == 0 || n > abi.MaxKVKeyBytes {
		ret(stack, abi.ErrInvalidArgument)
		return "", false
	}
	return string(guestBytes(in, mod, fn, "key", ptr, n)), true
}

func hostKVGet(in *instance, _ context.Context, mod api.Module, stack []uint64) {
	kp, kl, vp, vc := api.DecodeU32(stack[0]), api.DecodeU32(stack[1]), api.DecodeU32(stack[2]), api.DecodeU32(stack[3])
	key, ok := kvKey(in, mod, abi.FuncKVGet, stack, kp, kl)
	if !ok {
		return
	}
	buf := guestBytes(in, mod, abi.FuncKVGet, "value buffer", vp, vc)
	v, found := in.app.kv.get(key)
	switch {
	case !found:
		ret(stack, abi.ErrNotFound)
	case len(v) > len(buf):
		ret(stack, abi.ErrBufferTooSmall)
	default:
		ret(stack, int32(copy(buf, v)))
	}
}

func hostKVSet(in *instance, _ context.Context, mod api.Module, stack []uint64) {
	kp, kl, vp, vl := api.DecodeU32(stack[0]), api.DecodeU32(stack[1]), api.DecodeU32(stack[2]), api.DecodeU32(stack[3])
	key, ok := kvKey(in, mod, abi.FuncKVSet, stack, kp, kl)
	if !ok {
		return
	}
	if vl > abi.MaxKVValueBytes {
		ret(stack, abi.ErrInvalidArgument)
		return
	}
	val := guestBytes(in, mod, abi.FuncKVSet, "value", vp, vl)
	ret(stack, in.app.kvResult(in.app.kv.set(key, val)))
}

func hostKVDelete(in *instance, _ context.Context, mod api.Module, stack []uint64) {
	kp, kl := api.DecodeU32(stack[0]), api.DecodeU32(stack[1])
	key, ok := kvKey(in, mod, abi.FuncKVDelete, stack, kp, kl)
	if !ok {
		return
	}
	ret(stack, in.app.kvResult(in.app.kv.delete(key)))
}

func hostPublish(in *instance, _ context.Context, mod api.Module, stack []uint64) {
	tp, tl, dp, dl := api.DecodeU32(stack[0]), api.DecodeU32(stack[1]), api.DecodeU32(stack[2]), api.DecodeU32(stack[3])
	if tl == 0 || tl > abi.MaxTopicBytes || dl > abi.MaxMessageBytes {
		ret(stack, abi.ErrInvalidArgument)
		return
	}
	topic := string(guestBytes(in, mod, abi.FuncPublish, "topic", tp, tl))
	data := guestBytes(in, mod, abi.FuncPublish, "data", dp, dl)
	ret(stack, in.app.publish(topic, data))
}

func hostConfigGet(in *instance, _ context.Context, mod api.Module, stack []uint64) {
	kp, kl, bp, bc := api.DecodeU32(stack[0]), api.DecodeU32(stack[1]), api.DecodeU32(stack[2]), api.DecodeU32(stack[3])
	if kl == 0 || kl > abi.MaxConfigKeyBytes {
		ret(stack, abi.ErrInvalidArgument)
		return
	}
	key := guestBytes(in, mod, abi.FuncConfigGet, "key", kp, kl)
	buf := guestBytes(in, mod, abi.FuncConfigGet, "buffer", bp, bc)
	v, ok := in.app.spec.Config[string(key)]
	switch {
	case !ok:
		ret(stack, abi.ErrNotFound)
	case len(v) > len(buf):
		ret(stack, abi.ErrBufferTooSmall)
	default:
		ret(stack, int32(copy(buf, v)))
	}
}

func hostDeviceInfo(in *instance, _ context.Context, mod api.Module, stack []uint64) {
	bp, bc := api.DecodeU32(stack[0]), api.DecodeU32(stack[1])
	buf := guestBytes(in, mod, abi.FuncDeviceInfo, "buffer", bp, bc)
	info := in.app.deviceInfo
	if len(info) > len(buf) {
		ret(stack, abi.ErrBufferTooSmall)
		return
	}
	ret(stack, int32(copy(buf, info)))
}

func hostVehicleCommand(in *instance, _ context.Context, mod api.Module, stack []uint64) {
	rp, rl := api.DecodeU32(stack[0]), api.DecodeU32(stack[1])
	if rl == 0 || rl > abi.MaxVehicleRequestBytes {
		ret(stack, abi.ErrInvalidArgument)
		return
	}
	req := guestBytes(in, mod, abi.FuncVehicleCommand, "request", rp, rl)
	ret(stack, in.app.vehicleCommand(req))
}
