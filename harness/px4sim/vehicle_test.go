package px4sim

import (
	"math"
	"testing"
	"time"
)

// scriptedCommand is a command applied before a given step.
type scriptedCommand struct {
	step int
	cmd  command
}

// flightScript arms, takes off to 15 m, repositions 30 m east and
// returns to launch.
func flightScript(home Position) []scriptedCommand {
	nan := math.NaN()
	_, lonEast := newGeoOrigin(home).toGlobal(0, 30)
	return []scriptedCommand{
		{step: 1600, cmd: command{id: cmdComponentArm, p: [7]float64{1}}},
		{step: 1601, cmd: command{id: cmdNavTakeoff, p: [7]float64{0, 0, 0, nan, nan, nan, home.Alt + 15}}},
		{step: 8000, cmd: command{id: cmdDoReposition, p: [7]float64{-1, 1, 0, nan, home.Lat, lonEast, home.Alt + 15}}},
		{step: 12000, cmd: command{id: cmdNavReturnToLaunch}},
	}
}

// run steps a vehicle through the script and returns its sampled
// trajectory (true position every 50 steps) and the texts it said.
func run(cfg Config, script []scriptedCommand, steps int) ([]vec3, []string) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		panic(err)
	}
	v := newVehicle(cfg)
	var traj []vec3
	var texts []string
	next := 0
	for i := 0; i < steps; i++ {
		for next < len(script) && script[next].step == i {
			v.handleCommand(script[next].cmd)
			next++
		}
		v.step()
		for _, t := range v.takeTexts() {
			texts = append(texts, t.text)
		}
		if i%50 == 0 {
			traj = append(traj, v.pos.add(v.noise))
		}
	}
	return traj, texts
}

func TestSameSeedAndCommandsGiveTheSameTrajectory(t *testing.T) {
	cfg := Config{Seed: 42}
	script := flightScript(DefaultHome)
	a, ta := run(cfg, script, 30000)
	b, tb := run(cfg, script, 30000)
	if len(a) != len(b) {
		t.Fatal("different lengths")
	}
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("trajectories diverge at sample %d: %+v vs %+v", i, a[i], b[i])
		}
	}
	if len(ta) != len(tb) {
		t.Fatalf("texts differ: %q vs %q", ta, tb)
	}
	c, _ := run(Config{Seed: 43}, script, 30000)
	same := true
	for i := range a {
		same = same && a[i] == c[i]
	}
	if same {
		t.Error("a different seed gave the same trajectory: the seed is not used")
	}
	// And the flight did happen: it went up, east, and came back down.
	var maxUp, maxEast float64
	for _, p := range a {
		maxUp = math.Max(maxUp, -p.d)
		maxEast = math.Max(maxEast, p.e)
	}
	last := a[len(a)-1]
	if maxUp < 14 || maxEast < 28 || math.Abs(last.d) > 0.2 || math.Hypot(last.n, last.e) > 1 {
		t.Errorf("unexpected flight: max up %.1f, max east %.1f, end %+v", maxUp, maxEast, last)
	}
	if ta[len(ta)-1] != "Disarmed by landing" {
		t.Errorf("last text %q", ta[len(ta)-1])
	}
}

func TestConfigDefaultsArePX4s(t *testing.T) {
	cfg, err := Config{Instance: 2}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	want := Config{SystemID: 3, GCS: LinkConfig{"127.0.0.1:18572", "127.0.0.1:14550"}, API: LinkConfig{"127.0.0.1:14582", "127.0.0.1:14542"}}
	if cfg.SystemID != want.SystemID || cfg.GCS != want.GCS || cfg.API != want.API {
		t.Errorf("instance 2: sysid %d gcs %+v api %+v", cfg.SystemID, cfg.GCS, cfg.API)
	}
	if cfg.Home != DefaultHome || cfg.SpeedFactor != 1 || cfg.Failsafe.DataLinkLossAction != FailsafeNone ||
		cfg.Failsafe.DataLinkLossTimeout != 10*time.Second || cfg.Failsafe.ActionDelay != 5*time.Second ||
		cfg.PreflightDisarm != 10*time.Second {
		t.Errorf("defaults %+v", cfg)
	}
	if _, err := (Config{SpeedFactor: -1}).withDefaults(); err == nil {
		t.Error("negative speed accepted")
	}
}

func TestStreamBudgetThinsFastestStreamsFirst(t *testing.T) {
	s := newStreamSet(true, 50, 800)
	if got := s.interval[msgHeartbeat]; got != 1_000_000 {
		t.Errorf("heartbeat interval %d µs, want 1 s", got)
	}
	if got := s.interval[msgBatteryStatus]; got != 2_000_000 {
		t.Errorf("battery interval %d µs, want 2 s", got)
	}
	var wall float64
	for _, id := range s.ids {
		if iv := s.interval[id]; iv > 0 {
			wall += 1e6 / float64(iv) * 50
		}
	}
	if wall > 801 {
		t.Errorf("%.0f messages per wall second, budget 800", wall)
	}
	if s.interval[msgAttitude] != s.interval[msgGlobalPositionInt] {
		t.Error("capped streams should share equally")
	}
	// Without pressure every stream keeps PX4's rate.
	s = newStreamSet(true, 1, 1000)
	if got := s.interval[msgAttitude]; got != 10_000 {
		t.Errorf("ATTITUDE interval %d µs at speed 1, want 10 ms", got)
	}
}

func TestStatusTextsAreNumberedAndChunkedLikePX4(t *testing.T) {
	s := &Sim{}
	if c := s.statustextChunks(statusText{text: "short"}); len(c) != 1 || c[0].Id != 0 || c[0].Text != "short" {
		t.Errorf("first text %+v", c)
	}
	long := "Arming denied: Resolve system health failures first"
	chunks := s.statustextChunks(statusText{severity: severityCritical, text: long})
	if len(chunks) != 2 || chunks[0].Text+chunks[1].Text != long || chunks[0].Id != 1 ||
		chunks[1].Id != 1 || chunks[0].ChunkSeq != 0 || chunks[1].ChunkSeq != 1 {
		t.Errorf("chunks %+v", chunks)
	}
	// PX4 sends no terminator after a text that fills its chunks exactly.
	if c := s.statustextChunks(statusText{text: string(make([]byte, 100))}); len(c) != 2 || c[0].Id != 2 {
		t.Errorf("100 characters in %d chunks", len(c))
	}
}

// BenchmarkSimulatedSecond measures the physics: one simulated second of
// a hovering vehicle, with every message of both links built.
func BenchmarkSimulatedSecond(b *testing.B) {
	cfg, _ := Config{}.withDefaults()
	v := newVehicle(cfg)
	for range 1500 {
		v.step()
	}
	v.handleCommand(command{id: cmdComponentArm, p: [7]float64{1}})
	v.handleCommand(command{id: cmdNavTakeoff, p: [7]float64{6: math.NaN()}})
	gcs, api := newStreamSet(false, 1, 1e6), newStreamSet(true, 1, 1e6)
	var due []uint32
	b.ResetTimer()
	for range b.N {
		for range 1_000_000 / stepUs {
			v.step()
			v.takeTexts()
			for _, s := range []*streamSet{gcs, api} {
				due = s.due(v.now, due[:0])
				for _, id := range due {
					v.buildMessage(id)
				}
			}
		}
	}
}
