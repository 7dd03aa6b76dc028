// Package redsuite is a small Ginkgo suite that goes red on purpose, run
// by harness/runreport's tests (with --flake-attempts=2) to make a run
// folder like a nightly's: one spec fails every attempt and one fails
// once, each keeping an artifact folder with what the harness's
// recorders write — the fault journal (through a real linkfault link),
// the phase and MAVLink journals, a gateway log and a device log from
// log/slog, a QEMU console and data-line log, the chaos engine's
// journal — so the report has a timeline to draw from every source.
//
// RUN_DIR names the run folder.
package redsuite

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/wasmbed/wasmbed/harness/chaos"
	"github.com/wasmbed/wasmbed/harness/linkfault"
	"github.com/wasmbed/wasmbed/harness/timeline"
)

func TestRedSuite(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "red suite")
}

var attempts = map[string]int{}

// artifacts gives the current attempt a folder and, if the attempt
// fails, names it in the report as newEnv does.
func artifacts(spec string) string {
	dir := filepath.Join(os.Getenv("RUN_DIR"), "failed", fmt.Sprintf("wb-%s-%d", spec, attempts[spec]))
	Expect(os.MkdirAll(dir, 0o755)).To(Succeed())
	DeferCleanup(func() {
		if CurrentSpecReport().Failed() {
			AddReportEntry("artifacts", dir)
		} else {
			os.RemoveAll(dir)
		}
	})
	return dir
}

func logger(dir, name string) (*slog.Logger, *os.File) {
	f, err := os.OpenFile(filepath.Join(dir, name), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(f.Close)
	return slog.New(slog.NewTextHandler(f, nil)), f
}

// pause spreads the fake spec's events over a readable axis.
func pause() { time.Sleep(150 * time.Millisecond) }

var _ = Describe("Disconnect", Label("disconnect"), func() {
	It("marks a device whose link is cut Unreachable", func() {
		attempts["cut"]++
		dir := artifacts("cut")
		phases, err := timeline.Create(dir, "phases")
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(phases.Close)
		faults, err := timeline.Create(dir, "faults")
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(faults.Close)
		mav, err := timeline.Create(dir, "mavlink")
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(mav.Close)
		gw, gwf := logger(dir, "gateway-0.log")
		dev, _ := logger(dir, "device-d1.log")
		Expect(os.MkdirAll(filepath.Join(dir, "d1"), 0o755)).To(Succeed())
		console, _ := logger(filepath.Join(dir, "d1"), "console.log")
		dataline, err := os.Create(filepath.Join(dir, "d1", "dataline.log"))
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(dataline.Close)

		By("given a connected device flying a vehicle")
		fmt.Fprintf(gwf, "=== %s start /bin/gateway [--name gateway-0]\n", time.Now().Format(time.RFC3339Nano))
		gw.Info("serving", "addr", "127.0.0.1:4433")
		phases.Record(timeline.Event{Subject: "Device/d1", Kind: "phase", Text: "Device d1: Enrolled → Connected (gateway gateway-0)"})
		mav.Record(timeline.Event{Subject: "vehicle 1", Kind: "armed", Text: "vehicle 1 armed (mode AUTO.LOITER)"})
		mav.Record(timeline.Event{Subject: "vehicle 1", Kind: "takeoff", Text: "vehicle 1 ON_GROUND → TAKEOFF (0.3 m above home)"})
		pause()

		By("when its link is cut")
		links := linkfault.New()
		DeferCleanup(links.Close)
		links.OnFault(func(link, fault string) {
			faults.Record(timeline.Event{Subject: "link " + link, Kind: fault, Level: timeline.Warn, Text: "link " + link + ": " + fault})
		})
		l, err := links.Add("d1", "127.0.0.1:9")
		Expect(err).NotTo(HaveOccurred())
		l.Cut()
		fmt.Fprintf(dataline, "%s --- link cut\n", time.Now().Format("15:04:05.000000"))
		dev.Warn("connection lost", "err", "EOF", "retry", "250ms")
		console.Error("gateway unreachable", "attempts", 3)
		writeChaos(dir)
		pause()
		gw.Warn("heartbeat timeout", "device", "d1", "after", "2s")
		phases.Record(timeline.Event{Subject: "Device/d1", Kind: "phase", Level: timeline.Warn, Text: "Device d1: Connected → Disconnected (gateway gateway-0)"})
		mav.Record(timeline.Event{Subject: "vehicle 1", Kind: "link lost", Level: timeline.Warn, Text: "vehicle 1 link lost: no HEARTBEAT for 3s"})
		pause()

		By("then the device is Unreachable within the bound")
		Expect("Disconnected").To(Equal("Unreachable"), "Device d1 was not Unreachable within 2.5s")
	})

	It("reconnects after a gateway restart", func() {
		attempts["restart"]++
		dir := artifacts("restart")
		gw, _ := logger(dir, "gateway-0.log")
		By("given a connected device")
		pause()
		By("when the gateway restarts")
		gw.Error("listener closed", "err", "use of closed network connection")
		if attempts["restart"] == 1 {
			Fail("the device did not reconnect within 10s (first attempt)")
		}
	})

	It("keeps other devices connected", func() {
		By("checking the others")
	})
})

var _ = Describe("Deploy", Label("deploy"), func() {
	It("deploys one app", func() {})
	It("runs only with PX4 SITL", func() { Skip("real PX4 SITL variant skipped: set PX4_SITL_DIR") })
})

// writeChaos writes two lines as the chaos engine's journal does.
func writeChaos(dir string) {
	f, err := os.Create(filepath.Join(dir, chaos.JournalFile))
	Expect(err).NotTo(HaveOccurred())
	defer f.Close()
	zero := 0
	now := time.Now()
	for _, e := range []chaos.Event{
		{Time: now, Offset: "0s", Event: chaos.EventStart},
		{Time: now, Offset: "0s", Event: chaos.EventInject, Fault: &zero, Kind: "link.blackhole", Target: "d1"},
	} {
		b, err := json.Marshal(e)
		Expect(err).NotTo(HaveOccurred())
		_, err = f.Write(append(b, '\n'))
		Expect(err).NotTo(HaveOccurred())
	}
}
