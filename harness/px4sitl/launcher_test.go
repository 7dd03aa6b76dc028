package px4sitl_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/onsi/gomega"

	"github.com/wasmbed/wasmbed/harness/px4sim"
	"github.com/wasmbed/wasmbed/harness/px4sitl"
)

func TestWithoutPX4SITLDirTheErrorSaysHowToEnableIt(t *testing.T) {
	t.Setenv(px4sitl.EnvDir, "")
	_, err := px4sitl.New(px4sitl.Config{})
	if !errors.Is(err, px4sitl.ErrNotConfigured) {
		t.Fatalf("New without a build: %v", err)
	}
	for _, want := range []string{"PX4_SITL_DIR", "v1.16", "bin/px4", "build/px4_sitl_default"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
}

// fakeBuild makes a directory that looks like a PX4 SITL build, whose
// bin/px4 is the given shell script.
func fakeBuild(t *testing.T, script string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "etc"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "bin", "px4"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestNewRejectsADirectoryWithoutPX4(t *testing.T) {
	_, err := px4sitl.New(px4sitl.Config{Dir: t.TempDir()})
	if err == nil || errors.Is(err, px4sitl.ErrNotConfigured) || !strings.Contains(err.Error(), "bin/px4") {
		t.Fatalf("New on an empty directory: %v", err)
	}
}

func TestCommandIsPX4sMultiInstanceInvocation(t *testing.T) {
	dir := fakeBuild(t, "#!/bin/sh\n")
	t.Setenv(px4sitl.EnvDir, dir)
	l, err := px4sitl.New(px4sitl.Config{SpeedFactor: 5, Home: &px4sitl.Home{Lat: 47.1, Lon: 8.2, Alt: 400}, Env: []string{"EXTRA=1"}})
	if err != nil {
		t.Fatal(err)
	}
	path, args, env := l.Command(3)
	if path != filepath.Join(dir, "bin", "px4") {
		t.Errorf("path %q", path)
	}
	if want := []string{"-i", "3", "-d", filepath.Join(dir, "etc")}; !slices.Equal(args, want) {
		t.Errorf("args %q, want %q", args, want)
	}
	for _, want := range []string{"PX4_SIM_MODEL=sihsim_quadx", "PX4_SIMULATOR=sihsim", "PX4_SIM_SPEED_FACTOR=5",
		"PX4_HOME_LAT=47.1", "PX4_HOME_LON=8.2", "PX4_HOME_ALT=400", "EXTRA=1"} {
		if !slices.Contains(env, want) {
			t.Errorf("env %q lacks %q", env, want)
		}
	}
}

func TestReadyWaitRecognisesTheSimulatorsReadiness(t *testing.T) {
	t.Parallel()
	w, err := px4sitl.ListenReady("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	sim, err := px4sim.New(px4sim.Config{
		SpeedFactor: 10,
		GCS:         px4sim.LinkConfig{Bind: "127.0.0.1:0", Remote: px4sim.NoRemote},
		API:         px4sim.LinkConfig{Bind: "127.0.0.1:0", Remote: w.Addr().String()},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	if err := sim.Start(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := w.Wait(ctx, 1); err != nil {
		t.Fatal(err)
	}
	// The simulator publishes its State after a tick's batch of steps, so
	// the snapshot may trail the pre-arm bit already on the wire by a tick
	// (2 ms). A wait that returned early, at the first heartbeat, would be
	// 4.7 simulated seconds (0.47 s here) ahead of readiness, far beyond
	// this allowance.
	gomega.NewWithT(t).Eventually(func() bool { return sim.State().Ready }).
		WithTimeout(100*time.Millisecond).WithPolling(time.Millisecond).
		Should(gomega.BeTrue(), "the wait returned before the vehicle was ready")
}

func TestReadyWaitSaysWhatIsMissing(t *testing.T) {
	t.Parallel()
	w, err := px4sitl.ListenReady("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	sim, err := px4sim.New(px4sim.Config{
		SpeedFactor: 10,
		ReadyDelay:  time.Hour, // heartbeats, but never ready
		GCS:         px4sim.LinkConfig{Bind: "127.0.0.1:0", Remote: px4sim.NoRemote},
		API:         px4sim.LinkConfig{Bind: "127.0.0.1:0", Remote: w.Addr().String()},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	if err := sim.Start(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	err = w.Wait(ctx, 1)
	for _, want := range []string{"pre-arm checks do not pass", "MAV_SYS_STATUS_PREARM_CHECK", "heartbeat seen: true", "SYS_STATUS seen: true", "pre-arm checks passing: false"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Wait on a vehicle that never gets ready: %v, want it to say %q", err, want)
		}
	}
	// A wrong system id never matches.
	ctx2, cancel2 := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel2()
	if err := w.Wait(ctx2, 9); err == nil || !strings.Contains(err.Error(), "no HEARTBEAT") || !strings.Contains(err.Error(), "heartbeat seen: false") {
		t.Fatalf("Wait for system 9: %v", err)
	}
}

// TestStartRunsWaitsAndCleansUp launches a stand-in "PX4": a build
// directory whose bin/px4 records how it was called and then runs the
// built-in simulator on PX4's ports for the instance.
func TestStartRunsWaitsAndCleansUp(t *testing.T) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go toolchain to build the stand-in")
	}
	bin := filepath.Join(t.TempDir(), "px4sim")
	build := exec.Command(goBin, "build", "-o", bin, "github.com/wasmbed/wasmbed/harness/cmd/px4sim")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building the stand-in: %v\n%s", err, out)
	}
	script := `#!/bin/sh
echo "$@" > args.txt
echo "$PX4_SIM_MODEL $PX4_SIMULATOR $PX4_SIM_SPEED_FACTOR" > env.txt
exec "$STANDIN" -instance "$2" -speed "$PX4_SIM_SPEED_FACTOR" -ready-delay 1s
`
	dir := fakeBuild(t, script)
	const n = 41 // ports 18611, 14621 and 14581: away from anything PX4 uses by default
	work := t.TempDir()
	l, err := px4sitl.New(px4sitl.Config{Dir: dir, SpeedFactor: 10, WorkDir: work, ReadyTimeout: 20 * time.Second, Env: []string{"STANDIN=" + bin}})
	if err != nil {
		t.Fatal(err)
	}
	inst, err := l.Start(context.Background(), n)
	if err != nil {
		t.Fatal(err)
	}
	closed := false
	defer func() {
		if !closed {
			inst.Close()
		}
	}()
	if inst.SystemID != 42 || inst.APIAddr != "127.0.0.1:14621" || inst.GCSAddr != "127.0.0.1:18611" || inst.APIRemote != "127.0.0.1:14581" {
		t.Errorf("instance %+v", inst)
	}
	args, _ := os.ReadFile(filepath.Join(inst.Dir, "args.txt"))
	if got, want := strings.TrimSpace(string(args)), "-i 41 -d "+filepath.Join(dir, "etc"); got != want {
		t.Errorf("px4 ran with %q, want %q", got, want)
	}
	env, _ := os.ReadFile(filepath.Join(inst.Dir, "env.txt"))
	if got := strings.TrimSpace(string(env)); got != "sihsim_quadx sihsim 10" {
		t.Errorf("px4 environment %q", got)
	}
	if err := inst.Close(); err != nil {
		t.Fatal(err)
	}
	closed = true
	if !inst.Process.Exited() {
		t.Error("px4 still running after Close")
	}
	if _, err := os.Stat(inst.Dir); !os.IsNotExist(err) {
		t.Errorf("working directory left behind: %v", err)
	}
}

// TestRealPX4 runs only where a PX4 SITL build is configured.
func TestRealPX4(t *testing.T) {
	l, err := px4sitl.New(px4sitl.Config{})
	if errors.Is(err, px4sitl.ErrNotConfigured) {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	inst, err := l.Start(context.Background(), 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := inst.Close(); err != nil {
		t.Fatal(err)
	}
}
