package agent

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/wasmbed/wasmbed/firmware/apps"
	"github.com/wasmbed/wasmbed/firmware/flash"
	fixtures "github.com/wasmbed/wasmbed/fixtures/apps"
	"github.com/wasmbed/wasmbed/sut/abi"
	"github.com/wasmbed/wasmbed/sut/protocol"
	"github.com/wasmbed/wasmbed/sut/refusal"
)

// appsRuntime is the device's real app runtime (firmware/apps) behind the
// agent's AppRuntime, as firmware/device wires it.
type appsRuntime struct{ m *apps.Manager }

func (r appsRuntime) Install(ctx context.Context, d *protocol.Deploy, module []byte) error {
	spec, err := apps.SpecFromDeploy(d)
	if err == nil {
		err = r.m.Install(ctx, spec, module)
	}
	if err != nil {
		return &InstallError{Reason: abi.ReasonOf(err), Err: err}
	}
	return nil
}
func (r appsRuntime) Remove(ctx context.Context, name string) error { return r.m.Remove(ctx, name) }
func (r appsRuntime) Deliver(topic string, data []byte)             { r.m.Deliver(topic, data) }
func (r appsRuntime) Statuses() []protocol.AppStatus                { return apps.ProtocolStatuses(r.m.Statuses()) }

// deployRig is an agent with a live session whose gateway end the test
// holds.
type deployRig struct {
	a       *Agent
	sc      *sessionConn
	gateway chan protocol.Message
}

func newDeployRig(t *testing.T, profile Profile, withRuntime bool) *deployRig {
	t.Helper()
	a := &Agent{cfg: Config{Profile: profile}, log: slog.New(slog.DiscardHandler), uploads: map[string]*upload{}}
	if withRuntime {
		m, err := apps.New(t.Context(), apps.Options{Store: flash.Dir(t.TempDir())})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = m.Close(context.Background()) })
		a.apps = appsRuntime{m}
	}
	device, gw := net.Pipe()
	t.Cleanup(func() { device.Close(); gw.Close() })
	r := &deployRig{a: a, sc: &sessionConn{pc: protocol.NewConn(device, 0)}, gateway: make(chan protocol.Message, 16)}
	go func() {
		c := protocol.NewConn(gw, 0)
		for {
			_, m, err := c.Recv()
			if err != nil {
				close(r.gateway)
				return
			}
			r.gateway <- m
		}
	}()
	return r
}

// send hands the agent one message from the gateway.
func (r *deployRig) send(t *testing.T, m protocol.Message) {
	t.Helper()
	if err := r.a.handleApps(t.Context(), r.sc, protocol.Envelope{ID: 9}, m); err != nil {
		t.Fatal(err)
	}
}

// answer is the next message the agent sent the gateway.
func (r *deployRig) answer(t *testing.T) protocol.Message {
	t.Helper()
	select {
	case m := <-r.gateway:
		return m
	case <-time.After(20 * time.Second):
		t.Fatal("the agent did not answer")
		return nil
	}
}

func digestOf(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// chunks splits module into n parts as the gateway's ModuleChunks.
func chunks(app, digest string, module []byte, n int) []protocol.Message {
	var out []protocol.Message
	size := (len(module) + n - 1) / n
	for i := 0; i*size < len(module); i++ {
		out = append(out, &protocol.ModuleChunk{App: app, Digest: digest, Index: uint32(i), Data: module[i*size : min((i+1)*size, len(module))]})
	}
	return out
}

func TestDeploysAreAssembledCheckedAndAnswered(t *testing.T) {
	hello := fixtures.Hello.Wasm()
	deploy := func(app string, module []byte, announced string, parts int) []protocol.Message {
		d := &protocol.Deploy{App: app, Digest: announced, Size: uint32(len(module)), Chunks: uint32(parts),
			Capabilities: fixtures.Get(fixtures.Hello).Capabilities}
		return append([]protocol.Message{d}, chunks(app, announced, module, parts)...)
	}
	for name, tc := range map[string]struct {
		profile  Profile
		noApps   bool
		messages []protocol.Message
		reason   refusal.Reason // "" installed
		msg      string
	}{
		"in three chunks": {messages: deploy("hello", hello, digestOf(hello), 3)},
		"a chunk out of order is dropped, the upload goes on": {messages: func() []protocol.Message {
			m := deploy("hello", hello, digestOf(hello), 2)
			return []protocol.Message{m[0], m[2], m[1], m[2]}
		}()},
		"no runtime": {noApps: true, messages: deploy("hello", hello, digestOf(hello), 1)[:1], reason: "NoRuntime"},
		"larger than the device's memory": {profile: Profile{MemoryBytes: 64}, messages: deploy("hello", hello, digestOf(hello), 1)[:1],
			reason: "TooLarge", msg: "exceeds the device's 64 bytes"},
		"chunks beyond the announced size": {messages: func() []protocol.Message {
			m := deploy("hello", hello, digestOf(hello), 2)
			m[0].(*protocol.Deploy).Size = uint32(len(hello) / 3)
			return m
		}(), reason: abi.ReasonInvalidModule, msg: "chunks exceed the announced size"},
		"another module than announced": {messages: deploy("hello", hello, digestOf([]byte("something else")), 2), reason: "DigestMismatch"},
		"unsigned where signatures are required": {profile: Profile{RequireSignedModules: true}, messages: deploy("hello", hello, digestOf(hello), 1),
			reason: abi.ReasonSignatureMissing},
		"refused by the runtime": {messages: deploy("bad", fixtures.UnknownImport.Wasm(), digestOf(fixtures.UnknownImport.Wasm()), 1),
			reason: abi.ReasonUnknownImport, msg: "launch_missiles"},
	} {
		t.Run(name, func(t *testing.T) {
			r := newDeployRig(t, tc.profile, !tc.noApps)
			for _, m := range tc.messages {
				r.send(t, m)
			}
			res, ok := r.answer(t).(*protocol.DeployResult)
			switch {
			case !ok:
				t.Fatalf("answered %T, want a DeployResult", res)
			case res.OK != (tc.reason == "") || res.Reason != tc.reason || !strings.Contains(res.Message, tc.msg):
				t.Fatalf("answered %+v, want reason %q saying %q", res, tc.reason, tc.msg)
			case tc.reason == "" && !slicesHaveApp(r.a.apps.Statuses(), "hello"):
				t.Fatal("the runtime does not have the app")
			}
			if len(r.a.uploads) != 0 {
				t.Errorf("an upload is left behind: %v", r.a.uploads)
			}
		})
	}
}

func TestStopRemovesTheApp(t *testing.T) {
	r := newDeployRig(t, Profile{}, true)
	hello := fixtures.Hello.Wasm()
	r.send(t, &protocol.Deploy{App: "hello", Digest: digestOf(hello), Size: uint32(len(hello)), Chunks: 1, Capabilities: fixtures.Get(fixtures.Hello).Capabilities})
	r.send(t, chunks("hello", digestOf(hello), hello, 1)[0])
	if res := r.answer(t).(*protocol.DeployResult); !res.OK {
		t.Fatalf("deploy: %+v", res)
	}
	r.send(t, &protocol.Stop{App: "hello"})
	if res, ok := r.answer(t).(*protocol.StopResult); !ok || !res.OK || res.App != "hello" {
		t.Fatalf("stop answered %+v", res)
	}
	if slicesHaveApp(r.a.apps.Statuses(), "hello") {
		t.Error("the app is still installed")
	}
}

func slicesHaveApp(ss []protocol.AppStatus, name string) bool {
	for _, s := range ss {
		if s.Name == name {
			return true
		}
	}
	return false
}
