package apps

import (
	"context"
	"errors"
	"path"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/wasmbed/wasmbed/firmware/flash"
	fixtures "github.com/wasmbed/wasmbed/fixtures/apps"
)

var errPowerCut = errors.New("power cut")

// cutStore lets `budget` writes and removals through, then fails every
// later one, as if the power went at that instant: nothing after the cut
// reaches flash.
type cutStore struct {
	flash.Store
	mu     sync.Mutex
	budget int
}

func (s *cutStore) spend() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.budget == 0 {
		return errPowerCut
	}
	s.budget--
	return nil
}

func (s *cutStore) Write(name string, data []byte) error {
	if err := s.spend(); err != nil {
		return err
	}
	return s.Store.Write(name, data)
}

func (s *cutStore) Remove(name string) error {
	if err := s.spend(); err != nil {
		return err
	}
	return s.Store.Remove(name)
}

// TestPowerCutDuringUpdate updates v1 to v2 with the power cut after each
// flash operation of the install in turn, then boots on what is left:
// either v1 or v2 runs, intact, and no leftovers remain.
func TestPowerCutDuringUpdate(t *testing.T) {
	v1, v2 := fixtures.HelloV1, fixtures.HelloV2
	// Install does three flash operations: write the module, write the
	// spec (the commit), remove the old module.
	for cut, want := range []fixtures.Name{v1, v1, v2, v2} {
		t.Run("after "+[]string{"nothing", "module", "spec", "cleanup"}[cut], func(t *testing.T) {
			dir := flash.Dir(t.TempDir())
			e := newEnv(t, Options{Store: dir})
			e.mustInstall(specFor("app", v1), v1)
			e.waitState("app", StateRunning)
			if err := e.m.Close(context.Background()); err != nil {
				t.Fatal(err)
			}

			cutE := newEnv(t, Options{Store: &cutStore{Store: dir, budget: cut}})
			if err := cutE.m.Restore(context.Background()); err != nil {
				t.Fatal(err)
			}
			err := cutE.install(specFor("app", v2), v2)
			if (want == v1) != (err != nil) {
				t.Errorf("Install returned %v", err)
			}
			if err := cutE.m.Close(context.Background()); err != nil {
				t.Fatal(err)
			}

			after := newEnv(t, Options{Store: dir})
			if err := after.m.Restore(context.Background()); err != nil {
				t.Fatal(err)
			}
			st := after.waitState("app", StateRunning)
			if st.Digest != want.Digest() {
				t.Errorf("running %s, want %s", st.Digest, want)
			}
			after.waitOutput("app", fixtures.Get(want).LogLine, 2)
			names, _ := dir.List(flash.AppsDir)
			if wantFiles := []string{"app.json", "app@" + want.Digest() + ".wasm"}; !slices.Equal(names, wantFiles) {
				t.Errorf("flash holds %v, want %v", names, wantFiles)
			}
		})
	}
}

// TestPowerCutDuringRemove cuts the power after the spec is gone but
// before the module and the store are: the app stays removed and the
// leftovers are cleaned at boot.
func TestPowerCutDuringRemove(t *testing.T) {
	dir := flash.Dir(t.TempDir())
	e := newEnv(t, Options{Store: dir})
	e.mustInstall(specFor("counter", fixtures.Counter), fixtures.Counter)
	e.waitOutput("counter", "count=", 2)
	if err := e.m.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := dir.Remove(specPath("counter")); err != nil {
		t.Fatal(err)
	}
	after := newEnv(t, Options{Store: dir})
	if err := after.m.Restore(context.Background()); err != nil {
		t.Fatal(err)
	}
	if st := after.m.Statuses(); len(st) != 0 {
		t.Errorf("statuses %+v", st)
	}
	if names, _ := dir.List(flash.AppsDir); len(names) != 0 {
		t.Errorf("flash still holds %v", names)
	}
}

func TestRestoreDiscardsCorruptState(t *testing.T) {
	dir := flash.Dir(t.TempDir())
	e := newEnv(t, Options{Store: dir})
	e.mustInstall(specFor("good", fixtures.Hello), fixtures.Hello)
	e.mustInstall(specFor("tampered", fixtures.HelloV1), fixtures.HelloV1)
	e.waitState("tampered", StateRunning)
	if err := e.m.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	apps := func(n string) string { return path.Join(flash.AppsDir, n) }
	for name, data := range map[string]string{
		// A module whose content no longer matches its digest.
		modulePath("tampered", fixtures.HelloV1.Digest()): "garbage",
		// A spec that does not decode.
		apps("broken.json"): "{not json",
		// A spec for another name than its file's.
		apps("liar.json"): `{"version":1,"spec":{"name":"good","digest":"` + fixtures.Hello.Digest() + `","limits":{"maxRestarts":1},"capabilities":{"log":true}}}`,
		// An orphan module and store.
		apps("ghost@" + fixtures.Counter.Digest() + ".wasm"): "x",
		apps("ghost.kv"): "[]",
		// Someone else's file.
		apps("README"): "hands off",
	} {
		if err := dir.Write(name, []byte(data)); err != nil {
			t.Fatal(err)
		}
	}
	after := newEnv(t, Options{Store: dir})
	if err := after.m.Restore(context.Background()); err != nil {
		t.Fatal(err)
	}
	after.waitState("good", StateRunning)
	if st := after.m.Statuses(); len(st) != 1 {
		t.Errorf("statuses %+v, want only good", st)
	}
	names, _ := dir.List(flash.AppsDir)
	want := []string{"README", "good.json", "good@" + fixtures.Hello.Digest() + ".wasm"}
	if !slices.Equal(names, want) {
		t.Errorf("flash holds %v, want %v", names, want)
	}
}

func TestRestoreIsIdempotent(t *testing.T) {
	e := newEnv(t, Options{})
	e.mustInstall(specFor("hello", fixtures.Hello), fixtures.Hello)
	e.waitState("hello", StateRunning)
	before := len(e.changes.states("hello"))
	if err := e.m.Restore(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := e.changes.states("hello"); len(got) != before {
		t.Errorf("Restore restarted a running app: %v", got)
	}
}

func TestLongAppName(t *testing.T) {
	name := strings.Repeat("a", 120) + "." + strings.Repeat("b", 120)
	e := newEnv(t, Options{})
	e.mustInstall(specFor(name, fixtures.Counter), fixtures.Counter)
	e.waitOutput(name, "count=", 2)
	e.reboot()
	e.waitState(name, StateRunning)
	names, _ := e.store.List(flash.AppsDir)
	for _, n := range names {
		if len(n) > 255 {
			t.Errorf("file name of %d bytes", len(n))
		}
	}
	if err := e.m.Remove(context.Background(), name); err != nil {
		t.Fatal(err)
	}
	if names, _ := e.store.List(flash.AppsDir); len(names) != 0 {
		t.Errorf("flash still holds %v", names)
	}
}

func countLines(lines []string, line string) int {
	n := 0
	for _, l := range lines {
		if l == line {
			n++
		}
	}
	return n
}

func TestKVSurvivesUpdateButNotRemove(t *testing.T) {
	e := newEnv(t, Options{})
	e.mustInstall(specFor("c", fixtures.Counter), fixtures.Counter)
	e.waitOutput("c", "count=3", 1)
	upd := specFor("c", fixtures.Counter)
	upd.Config = map[string]string{"v": "2"} // same module, new spec: a replace
	e.mustInstall(upd, fixtures.Counter)
	waitFor(t, 5e9, "the count to go on", func() bool { return lastCount(t, e, "c") >= 5 })
	if countLines(e.logs.output("c"), "count=1") != 1 {
		t.Error("the update reset the store")
	}
	if err := e.m.Remove(context.Background(), "c"); err != nil {
		t.Fatal(err)
	}
	e.mustInstall(specFor("c", fixtures.Counter), fixtures.Counter)
	waitFor(t, 5e9, "a fresh count", func() bool { return countLines(e.logs.output("c"), "count=1") == 2 })
}
