package qemu

import (
	"bufio"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	. "github.com/onsi/gomega"

	"github.com/wasmbed/wasmbed/harness/config"

	"github.com/wasmbed/wasmbed/firmware/flash"
	"github.com/wasmbed/wasmbed/harness/proc"
	"github.com/wasmbed/wasmbed/harness/progress"
	qi "github.com/wasmbed/wasmbed/qemu-images"
	"github.com/wasmbed/wasmbed/qemu-images/flashdisk"
)

// The boot tests start real QEMU guests of every profile (minutes of CPU
// under TCG), so plain `go test ./...` skips them. Run them with
// `make qemu-test` or WASMBED_QEMU_TESTS=1.
func requireQEMU(tb testing.TB) {
	tb.Helper()
	if !config.FromEnv().QEMUTests {
		tb.Skip("QEMU boot tests are slow: set WASMBED_QEMU_TESTS=1 to run (make test sets it where QEMU is installed; make qemu-test always does)")
	}
}

func TestMain(m *testing.M) {
	if config.FromEnv().QEMUTests {
		proc.ClaimOwnership()
	}
	os.Exit(m.Run())
}

// testFleet builds the boot-test images and returns a fleet whose
// artefacts go to a test folder (kept on failure for inspection).
func testFleet(t testing.TB, gateway string, concurrency int) *Fleet {
	t.Helper()
	ctx := context.Background()
	pr := progress.New(os.Stderr, "qemu-test")
	images := map[string]*qi.Image{}
	for _, p := range qi.Profiles() {
		img, err := EnsureImage(ctx, p.Name, qi.TestFirmware, pr)
		if err != nil {
			t.Fatal(err)
		}
		images[p.Name] = img
	}
	dir, err := os.MkdirTemp("", "wasmbed-artifacts-qemu-")
	if err != nil {
		t.Fatal(err)
	}
	f, err := New(Options{ArtifactDir: dir, Gateway: gateway, Concurrency: concurrency, Images: images, Progress: pr, BootTimeout: 120 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		f.Close()
		if t.Failed() {
			t.Logf("device artefacts kept in %s", dir)
		} else {
			os.RemoveAll(dir)
		}
	})
	return f
}

// controlServer is the stand-in gateway for testinit's control mode: it
// routes each session to its device by the HELLO line.
type controlServer struct {
	ln       net.Listener
	mu       sync.Mutex
	sessions map[string]chan *ctlSession
	wg       sync.WaitGroup
}

type ctlSession struct {
	conn  net.Conn
	r     *bufio.Reader
	hello string
	boot  int
}

func newControlServer(t testing.TB) *controlServer {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &controlServer{ln: ln, sessions: map[string]chan *ctlSession{}}
	s.wg.Add(1)
	go s.accept()
	t.Cleanup(func() {
		ln.Close()
		s.wg.Wait()
	})
	return s
}

func (s *controlServer) ch(name string) chan *ctlSession {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.sessions[name]
	if !ok {
		c = make(chan *ctlSession, 32)
		s.sessions[name] = c
	}
	return c
}

func (s *controlServer) accept() {
	defer s.wg.Done()
	for {
		conn, err := s.ln.Accept()
		if err != nil {
			return
		}
		go func() {
			conn.SetReadDeadline(time.Now().Add(30 * time.Second))
			r := bufio.NewReader(conn)
			line, err := r.ReadString('\n')
			if err != nil {
				conn.Close()
				return
			}
			conn.SetReadDeadline(time.Time{})
			var name, profile string
			var boot int
			if _, err := fmt.Sscanf(line, "HELLO %s %s boot=%d", &name, &profile, &boot); err != nil {
				conn.Close()
				return
			}
			s.ch(name) <- &ctlSession{conn: conn, r: r, hello: strings.TrimSpace(line), boot: boot}
		}()
	}
}

// next returns the device's next session.
func (s *controlServer) next(t testing.TB, name string, timeout time.Duration) *ctlSession {
	t.Helper()
	select {
	case c := <-s.ch(name):
		t.Cleanup(func() { c.conn.Close() })
		return c
	case <-time.After(timeout):
		t.Fatalf("%s opened no session within %s", name, timeout)
		return nil
	}
}

// do sends a command and returns the reply line.
func (c *ctlSession) do(t testing.TB, cmd string) string {
	t.Helper()
	c.conn.SetDeadline(time.Now().Add(60 * time.Second))
	if _, err := fmt.Fprintln(c.conn, cmd); err != nil {
		t.Fatalf("%s: %v", cmd, err)
	}
	line, err := c.r.ReadString('\n')
	if err != nil {
		t.Fatalf("%s: %v", cmd, err)
	}
	return strings.TrimRight(line, "\n")
}

func (c *ctlSession) read(t testing.TB, name string) string {
	t.Helper()
	reply := c.do(t, "READ "+name)
	v, ok := strings.CutPrefix(reply, "VALUE ")
	if !ok {
		t.Fatalf("READ %s: %q", name, reply)
	}
	b, err := hex.DecodeString(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func (c *ctlSession) expect(t testing.TB, cmd, want string) {
	t.Helper()
	if got := c.do(t, cmd); got != want {
		t.Fatalf("%s: got %q, want %q", cmd, got, want)
	}
}

// waitClosed waits until the peer closes the session.
func (c *ctlSession) waitClosed(t testing.TB, timeout time.Duration) {
	t.Helper()
	c.conn.SetReadDeadline(time.Now().Add(timeout))
	if _, err := io.Copy(io.Discard, c.r); err != nil {
		t.Fatalf("session not closed within %s: %v", timeout, err)
	}
}

func echoServer(t testing.TB) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				c.SetDeadline(time.Now().Add(2 * time.Minute))
				io.Copy(c, c)
			}()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		wg.Wait()
	})
	return ln.Addr().String()
}

// waitForFile waits, with Gomega's Eventually, until a log file contains
// want.
func waitForFile(t testing.TB, path, want string, timeout time.Duration) {
	t.Helper()
	NewWithT(t).Eventually(func() string { b, _ := os.ReadFile(path); return string(b) }).
		WithTimeout(timeout).WithPolling(50*time.Millisecond).
		Should(ContainSubstring(want), func() string { return fmt.Sprintf("%s; tail:\n%s", path, tail(path, 15)) })
}

const testCA = "-----BEGIN CERTIFICATE-----\nMIIBtestCA\n-----END CERTIFICATE-----\n"

// TestFleet boots one device of each profile plus an echo device at once,
// two at a time, and puts each control device through the life of a field
// device: sessions over the serial link, flash writes, a reboot, a power
// cut, a reset, a cut cable, a bridge crash, a power-off and a factory
// reset, checking the flash from the guest and from the host.
func TestFleet(t *testing.T) {
	requireQEMU(t)
	srv := newControlServer(t)
	f := testFleet(t, srv.ln.Addr().String(), 2)
	ctx := context.Background()

	var specs []Spec
	for _, p := range qi.Profiles() {
		specs = append(specs, Spec{
			Name: "dev-" + p.Name, Profile: p.Name,
			Params: map[string]string{"linktimeout": "3s", "keepalive": "1s"},
			Flash:  flashdisk.Options{SizeMiB: 16, Files: flashdisk.Provisioning([]byte(testCA), "token-"+p.Name)},
		})
	}
	specs = append(specs, Spec{Name: "echo-arm64", Profile: "arm64-virt", Gateway: echoServer(t), Params: map[string]string{"test": "echo"}})
	devices, err := f.Start(ctx, specs...)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range devices {
		accel, why := d.Accel()
		t.Logf("%s booted in %s (%s: %s)", d.Name(), d.BootTime().Round(time.Millisecond), accel, why)
	}

	t.Run("echo", func(t *testing.T) {
		d := devices[len(devices)-1]
		t.Parallel()
		waitForFile(t, d.ConsoleLog, "ECHO OK session=3 bytes=65536", 3*time.Minute)
		if s := d.Bridge().Stats(); s.SessionsOpened < 3 || s.BytesFromDevice < 3*65536 || s.BytesToDevice < 3*65536 {
			t.Fatalf("bridge stats %+v", s)
		}
	})
	for _, d := range devices[:len(devices)-1] {
		t.Run(d.Profile.Name, func(t *testing.T) {
			t.Parallel()
			deviceLife(t, srv, d)
		})
	}
}

func deviceLife(t *testing.T, srv *controlServer, d *Device) {
	ctx := context.Background()
	name := d.Name()
	const wait = 3 * time.Minute

	s := srv.next(t, name, wait)
	if s.boot != 1 {
		t.Fatalf("first boot counted as %d", s.boot)
	}
	if got := s.read(t, flash.ProvisionCA); got != testCA {
		t.Fatalf("provisioned CA %q", got)
	}
	s.expect(t, "ECHO over the serial link", "over the serial link")
	s.expect(t, "WRITE test/marker v1", "OK")
	start := time.Now()
	s.conn.SetDeadline(time.Now().Add(time.Minute))
	fmt.Fprintln(s.conn, "SOURCE 262144")
	if _, err := io.ReadFull(s.r, make([]byte, 262144)); err != nil {
		t.Fatal(err)
	}
	if line, err := s.r.ReadString('\n'); err != nil || line != "DONE\n" {
		t.Fatalf("after SOURCE: %q, %v", line, err)
	}
	t.Logf("%s: 256 KiB device→host in %s", name, time.Since(start).Round(time.Millisecond))

	// Guest-initiated reboot keeps the flash.
	seq := d.Bridge().LastReady().Seq
	s.expect(t, "REBOOT", "OK")
	if _, err := d.WaitReady(ctx, seq); err != nil {
		t.Fatal(err)
	}
	s = srv.next(t, name, wait)
	if s.boot != 2 || s.read(t, "test/marker") != "v1" {
		t.Fatalf("after reboot: %s, marker %q", s.hello, s.read(t, "test/marker"))
	}

	// Power cut right after an acknowledged (fsynced) write.
	s.expect(t, "WRITE test/marker v2", "OK")
	d.PowerCut()
	if d.Running() {
		t.Fatal("QEMU survived the power cut")
	}
	if err := d.PowerOn(ctx); err != nil {
		t.Fatal(err)
	}
	s = srv.next(t, name, wait)
	if s.boot != 3 || s.read(t, "test/marker") != "v2" {
		t.Fatalf("after power cut: %s", s.hello)
	}

	// Reset button.
	if err := d.Reset(ctx); err != nil {
		t.Fatal(err)
	}
	s = srv.next(t, name, wait)
	if s.boot != 4 {
		t.Fatalf("after reset: %s", s.hello)
	}

	// Cut cable: the device's session dies by its keep-alive; after the
	// restore the bridge drops the stale TCP connection and the device
	// reconnects without rebooting.
	d.Cut()
	if d.Bridge().Stats().Cut != true {
		t.Fatal("not cut")
	}
	waitForFile(t, d.ConsoleLog, "no answer from the host", wait)
	d.Restore()
	s.waitClosed(t, 30*time.Second)
	s = srv.next(t, name, wait)
	if s.boot != 4 {
		t.Fatalf("after cut and restore: %s", s.hello)
	}
	s.expect(t, "ECHO reconnected", "reconnected")

	// The bridge crashes and is restarted: the device keeps running.
	if err := d.RestartBridge(); err != nil {
		t.Fatal(err)
	}
	s.waitClosed(t, 30*time.Second)
	s = srv.next(t, name, wait)
	if s.boot != 4 {
		t.Fatalf("after bridge restart: %s", s.hello)
	}

	// Clean power-off from the firmware; then the host reads the flash.
	s.expect(t, "POWEROFF", "OK")
	wctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if err := d.WaitExit(wctx); err != nil {
		t.Fatal(err)
	}
	if b, err := d.ReadFlash(ctx, "test/boots"); err != nil || string(b) != "4" {
		t.Fatalf("boot counter on the host: %q, %v", b, err)
	}
	if b, err := d.ReadFlash(ctx, "test/marker"); err != nil || string(b) != "v2" {
		t.Fatalf("marker on the host: %q, %v", b, err)
	}

	// Factory reset: back to the provisioning files only.
	if err := d.FactoryReset(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := d.ReadFlash(ctx, "test/marker"); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("marker after factory reset: %v", err)
	}
	if err := d.PowerOn(ctx); err != nil {
		t.Fatal(err)
	}
	s = srv.next(t, name, wait)
	if s.boot != 1 || s.read(t, flash.ProvisionToken) != "token-"+d.Profile.Name {
		t.Fatalf("after factory reset: %s", s.hello)
	}
	st := d.Bridge().Stats()
	t.Logf("%s: bridge %+v", name, st)
	if st.FromDevice.CRCErrors != 0 {
		t.Errorf("CRC errors on a clean line: %+v", st.FromDevice)
	}
}
