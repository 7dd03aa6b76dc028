package serialbridge

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	. "github.com/onsi/gomega"

	"golang.org/x/sys/unix"

	sl "github.com/wasmbed/wasmbed/firmware/seriallink"
)

// rig is a device and a bridge joined by a pty and a fake QEMU chardev.
type rig struct {
	t       *testing.T
	chardev *fakeChardev
	ttyPath string
	bridge  *Bridge
	link    *sl.Link
	log     *syncBuffer
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

var fastLink = sl.Config{Name: "dev-1", KeepAlive: 100 * time.Millisecond, Timeout: 600 * time.Millisecond, OpenRetry: 200 * time.Millisecond}

// newRig starts the chardev and a bridge to target; the device is not up.
func newRig(t *testing.T, target string) *rig {
	t.Helper()
	master, slave := openPTY(t)
	// Hold the slave open as the UART would be, so the master never sees a
	// hang-up between device restarts; until the device sets raw mode the
	// line is in cooked mode with echo, like a fresh UART.
	hold, err := os.OpenFile(slave, os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { hold.Close() })
	r := &rig{t: t, chardev: newFakeChardev(t, master), ttyPath: slave, log: &syncBuffer{}}
	r.startBridge(target)
	return r
}

func (r *rig) startBridge(target string) {
	r.t.Helper()
	b, err := Start(Config{Name: "dev-1", Socket: r.chardev.path, Target: target, Log: r.log, WriteTimeout: time.Second})
	if err != nil {
		r.t.Fatal(err)
	}
	r.bridge = b
	r.t.Cleanup(func() { b.Close() })
}

// startDevice opens the tty in raw mode and starts the device link.
func (r *rig) startDevice(cfg sl.Config) {
	r.t.Helper()
	f, err := sl.OpenTTY(r.ttyPath, 115200)
	if err != nil {
		r.t.Fatal(err)
	}
	r.link = sl.New(f, cfg)
	r.t.Cleanup(func() { r.link.Close() })
}

func (r *rig) waitReady(after uint64) ReadyEvent {
	r.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	ev, err := r.bridge.WaitReady(ctx, after)
	if err != nil {
		r.t.Fatalf("%v\ndata-line log:\n%s", err, r.log)
	}
	return ev
}

func (r *rig) dial(timeout time.Duration) (net.Conn, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	return r.link.Dial(ctx)
}

// echoServer is a loopback TCP echo server.
func echoServer(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var conns []net.Conn
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				io.Copy(c, c)
			}()
		}
	}()
	return ln.Addr().String()
}

func pattern(n int, seed byte) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7) ^ seed
	}
	return b
}

// echoRoundTrip writes data and reads it back concurrently, as flow
// control needs both directions to move.
func echoRoundTrip(t *testing.T, c net.Conn, data []byte) {
	t.Helper()
	c.SetDeadline(time.Now().Add(20 * time.Second))
	errc := make(chan error, 1)
	go func() {
		_, err := c.Write(data)
		errc <- err
	}()
	got := make([]byte, len(data))
	if n, err := io.ReadFull(c, got); err != nil {
		t.Fatalf("read echo: %v after %d of %d bytes", err, n, len(data))
	}
	if err := <-errc; err != nil {
		t.Fatalf("write: %v", err)
	}
	if !bytes.Equal(got, data) {
		t.Fatal("echo differs from what was sent")
	}
}

func TestSuccessiveEchoSessions(t *testing.T) {
	r := newRig(t, echoServer(t))
	r.startDevice(fastLink)
	if ev := r.waitReady(0); ev.Name != "dev-1" || ev.Version != sl.Version {
		t.Fatalf("ready event %+v", ev)
	}
	total := 0
	for i, size := range []int{1, 5000, 300 << 10} {
		c, err := r.dial(5 * time.Second)
		if err != nil {
			t.Fatalf("session %d: %v\n%s", i, err, r.log)
		}
		t.Cleanup(func() {
			if t.Failed() {
				t.Logf("bridge %+v\ndevice %+v", r.bridge.Stats(), r.link.Stats())
			}
		})
		echoRoundTrip(t, c, pattern(size, byte(i)))
		total += size
		if err := c.Close(); err != nil {
			t.Fatal(err)
		}
	}
	s := r.bridge.Stats()
	if s.SessionsOpened != 3 || s.BytesFromDevice != int64(total) || s.BytesToDevice != int64(total) {
		t.Fatalf("bridge stats %+v", s)
	}
	ds := r.link.Stats()
	if ds.BytesSent != int64(total) || ds.BytesReceived != int64(total) || ds.CRCErrors != 0 {
		t.Fatalf("device stats %+v", ds)
	}
	eventually(t, 2*time.Second, func() bool { return r.bridge.Stats().ActiveSessions == 0 }, func() string { return fmt.Sprintf("sessions left open on the host: %+v", r.bridge.Stats()) })
}

// eventually waits, with Gomega's Eventually, until cond holds; past the
// timeout it fails t with what describe says of the state then.
func eventually(t *testing.T, timeout time.Duration, cond func() bool, describe func() string) {
	t.Helper()
	NewWithT(t).Eventually(cond).WithTimeout(timeout).WithPolling(5*time.Millisecond).Should(BeTrue(), describe)
}

func TestGatewayClosesSession(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		c.Write([]byte("hello and goodbye"))
		c.Close()
	}()
	r := newRig(t, ln.Addr().String())
	r.startDevice(fastLink)
	c, err := r.dial(5 * time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	got, err := io.ReadAll(c)
	if err != nil || string(got) != "hello and goodbye" {
		t.Fatalf("got %q, %v; want the greeting then EOF", got, err)
	}
}

func TestDialRefused(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	r := newRig(t, addr)
	r.startDevice(fastLink)
	_, err = r.dial(5 * time.Second)
	if err == nil || !strings.Contains(err.Error(), "dial gateway") {
		t.Fatalf("dial error %v, want the bridge's dial failure", err)
	}
	if s := r.bridge.Stats(); s.SessionsFailed < 1 {
		t.Fatalf("stats %+v", s)
	}
}

func TestReadWriteDeadlines(t *testing.T) {
	r := newRig(t, echoServer(t))
	r.startDevice(fastLink)
	c, err := r.dial(5 * time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
	if _, err = c.Read(make([]byte, 1)); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("read with nothing to read: %v, want deadline exceeded", err)
	}
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("%v is not a net.Error timeout", err)
	}
	c.SetReadDeadline(time.Time{})
	echoRoundTrip(t, c, []byte("still works"))
}

// The device's own frames echoed back (cooked mode before raw) and line
// noise must not confuse either end.
func TestEchoAndGarbageBeforeRawMode(t *testing.T) {
	r := newRig(t, echoServer(t))
	// The bridge connects and sends RESET while the tty is still cooked
	// with echo on: the RESET comes back to the bridge as an echo.
	eventually(t, 5*time.Second, func() bool { return r.bridge.Stats().WireBytesToDevice > 0 }, func() string { return "bridge never sent RESET" })
	eventually(t, 5*time.Second, func() bool { return r.bridge.Stats().FromDevice.Garbage > 0 }, func() string {
		return fmt.Sprintf("expected the echo of RESET to be skipped as garbage: %+v", r.bridge.Stats())
	})
	r.chardev.inject([]byte("\x00\xa5\xa5Hgarbage\r\n"))
	r.startDevice(fastLink)
	r.waitReady(0)
	// Noise in the middle of a session.
	c, err := r.dial(5 * time.Second)
	if err != nil {
		t.Fatal(err)
	}
	r.chardev.inject([]byte("\xa5H\x05\x00\x01\x00\x03\x00xyz\x00\x00\x00\x00 noise"))
	echoRoundTrip(t, c, pattern(10000, 3))
	c.Close()
	if s := r.bridge.Stats(); s.FromDevice.Frames == 0 || s.Readies < 1 {
		t.Fatalf("stats %+v", s)
	}
}

func TestCutAndRestore(t *testing.T) {
	r := newRig(t, echoServer(t))
	r.startDevice(fastLink)
	r.waitReady(0)
	c, err := r.dial(5 * time.Second)
	if err != nil {
		t.Fatal(err)
	}
	echoRoundTrip(t, c, []byte("before the cut"))

	r.bridge.Cut()
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, err = c.Read(make([]byte, 1))
	if !errors.Is(err, sl.ErrLinkTimeout) {
		t.Fatalf("read on a cut link: %v, want ErrLinkTimeout", err)
	}
	if _, err := r.dial(500 * time.Millisecond); err == nil {
		t.Fatal("dial succeeded on a cut link")
	}
	if s := r.bridge.Stats(); !s.Cut || s.DroppedFrames == 0 {
		t.Fatalf("stats %+v", s)
	}

	seq := r.bridge.LastReady().Seq
	r.bridge.Restore()
	r.waitReady(seq) // the device answers RESET with READY
	c2, err := r.dial(5 * time.Second)
	if err != nil {
		t.Fatalf("dial after restore: %v\n%s", err, r.log)
	}
	echoRoundTrip(t, c2, []byte("after the restore"))
	c2.Close()
	eventually(t, 2*time.Second, func() bool { return r.bridge.Stats().ActiveSessions == 0 }, func() string { return fmt.Sprintf("cut session not closed on the host: %+v", r.bridge.Stats()) })
}

// A bridge that dies and is started again must not lose the device: the
// open session fails with ErrLinkReset and the next dial works.
func TestBridgeRestart(t *testing.T) {
	target := echoServer(t)
	r := newRig(t, target)
	r.startDevice(fastLink)
	r.waitReady(0)
	c, err := r.dial(5 * time.Second)
	if err != nil {
		t.Fatal(err)
	}
	echoRoundTrip(t, c, []byte("first bridge"))

	r.bridge.Close()
	r.startBridge(target)
	r.waitReady(0)
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Read(make([]byte, 1)); !errors.Is(err, sl.ErrLinkReset) {
		t.Fatalf("old session: %v, want ErrLinkReset", err)
	}
	c2, err := r.dial(5 * time.Second)
	if err != nil {
		t.Fatal(err)
	}
	echoRoundTrip(t, c2, []byte("second bridge"))
	c2.Close()
}

// A dial sent while no bridge listens is repeated until one answers.
func TestDialBeforeBridge(t *testing.T) {
	master, slave := openPTY(t)
	ch := newFakeChardev(t, master)
	f, err := sl.OpenTTY(slave, 0)
	if err != nil {
		t.Fatal(err)
	}
	link := sl.New(f, fastLink)
	defer link.Close()
	type result struct {
		c   net.Conn
		err error
	}
	res := make(chan result, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		c, err := link.Dial(ctx)
		res <- result{c, err}
	}()
	b, err := Start(Config{Name: "late", Socket: ch.path, Target: echoServer(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	got := <-res
	if got.err != nil {
		t.Fatal(got.err)
	}
	echoRoundTrip(t, got.c, []byte("late bridge"))
	got.c.Close()
}

// TLS runs end to end; the bridge forwards ciphertext only.
func TestTLSEndToEnd(t *testing.T) {
	cert, pool := selfSigned(t, "gateway.test")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				tc := tls.Server(c, &tls.Config{Certificates: []tls.Certificate{cert}})
				defer tc.Close()
				io.Copy(tc, tc)
			}()
		}
	}()
	var seen syncBuffer // every byte the bridge forwarded to the gateway
	r := newRig(t, ln.Addr().String())
	r.bridge.Close()
	b, err := Start(Config{Name: "dev-1", Socket: r.chardev.path, Log: r.log, DialTarget: func(ctx context.Context) (net.Conn, error) {
		var d net.Dialer
		c, err := d.DialContext(ctx, "tcp", ln.Addr().String())
		if err != nil {
			return nil, err
		}
		return &recordingConn{Conn: c, w: &seen}, nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	r.bridge = b
	defer b.Close()
	r.startDevice(fastLink)
	for i := range 2 { // enrolment-like session, then a second one
		raw, err := r.dial(5 * time.Second)
		if err != nil {
			t.Fatal(err)
		}
		tc := tls.Client(raw, &tls.Config{ServerName: "gateway.test", RootCAs: pool})
		secret := []byte("the device's plaintext secret, session " + string(rune('A'+i)))
		echoRoundTrip(t, tc, secret)
		tc.Close()
		if bytes.Contains([]byte(seen.String()), []byte("plaintext secret")) {
			t.Fatal("the bridge saw plaintext")
		}
	}
	if s := b.Stats(); s.SessionsOpened != 2 || s.BytesFromDevice == 0 {
		t.Fatalf("stats %+v", s)
	}
}

type recordingConn struct {
	net.Conn
	w io.Writer
}

func (c *recordingConn) Write(p []byte) (int, error) {
	c.w.Write(p)
	return c.Conn.Write(p)
}

func selfSigned(t *testing.T, name string) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name}, DNSNames: []string{name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(c)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, pool
}

// A frame whose header is intact but whose payload is corrupted ends its
// session on both ends; the link itself goes on.
func TestCorruptFrameDropsSession(t *testing.T) {
	r := newRig(t, echoServer(t))
	r.startDevice(fastLink)
	c, err := r.dial(5 * time.Second)
	if err != nil {
		t.Fatal(err)
	}
	echoRoundTrip(t, c, []byte("before"))
	id := c.LocalAddr().(sl.Addr).Session
	bad, _ := sl.AppendFrame(nil, sl.Frame{Dir: sl.FromHost, Type: sl.Data, Session: id, Payload: []byte("garbled")})
	bad[len(bad)-5] ^= 0x55
	r.chardev.inject(bad)
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Read(make([]byte, 16)); !errors.Is(err, sl.ErrCorrupt) {
		t.Fatalf("read after a corrupted frame: %v, want ErrCorrupt", err)
	}
	eventually(t, 5*time.Second, func() bool { return r.bridge.Stats().ActiveSessions == 0 }, func() string { return fmt.Sprintf("host kept the session: %+v", r.bridge.Stats()) })
	if s := r.link.Stats(); s.CRCErrors != 1 {
		t.Fatalf("device stats %+v", s)
	}
	c2, err := r.dial(5 * time.Second)
	if err != nil {
		t.Fatal(err)
	}
	echoRoundTrip(t, c2, []byte("after"))
	c2.Close()
}

// A panic in the bridge's serving code kills only that line connection:
// the supervisor reconnects, sends RESET, and the device dials again.
func TestBridgeRecoversFromPanic(t *testing.T) {
	target := echoServer(t)
	r := newRig(t, target)
	r.bridge.Close()
	var calls sync.Mutex
	n := 0
	b, err := Start(Config{Name: "dev-1", Socket: r.chardev.path, Log: r.log, DialTarget: func(ctx context.Context) (net.Conn, error) {
		calls.Lock()
		n++
		first := n == 1
		calls.Unlock()
		if first {
			panic("bridge bug")
		}
		var d net.Dialer
		return d.DialContext(ctx, "tcp", target)
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	r.bridge = b
	r.startDevice(fastLink)
	c, err := r.dial(10 * time.Second)
	if err != nil {
		t.Fatalf("%v\n%s", err, r.log)
	}
	echoRoundTrip(t, c, []byte("survived a panic"))
	c.Close()
	if s := b.Stats(); s.Panics != 1 || s.LineConnects < 2 {
		t.Fatalf("stats %+v", s)
	}
}
