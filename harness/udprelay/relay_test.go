package udprelay_test

import (
	"bytes"
	"net"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	. "github.com/onsi/gomega"

	"github.com/wasmbed/wasmbed/harness/udprelay"
)

const waitTimeout = 10 * time.Second

func loopback(t *testing.T) *net.UDPConn {
	t.Helper()
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// echo answers every datagram to its sender and counts them.
func echo(t *testing.T) (*net.UDPConn, *atomic.Int64) {
	t.Helper()
	c := loopback(t)
	var n atomic.Int64
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 2048)
		for {
			k, src, err := c.ReadFromUDP(buf)
			if err != nil {
				return
			}
			n.Add(1)
			c.WriteToUDP(buf[:k], src)
		}
	}()
	t.Cleanup(func() { c.Close(); <-done })
	return c, &n
}

func newRelay(t *testing.T, cfg udprelay.Config) *udprelay.Relay {
	t.Helper()
	r, err := udprelay.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

// roundTrip sends payload to the relay from client and returns the reply.
func roundTrip(t *testing.T, client *net.UDPConn, r *udprelay.Relay, payload []byte) []byte {
	t.Helper()
	if _, err := client.WriteToUDP(payload, r.Addr()); err != nil {
		t.Fatal(err)
	}
	client.SetReadDeadline(time.Now().Add(waitTimeout))
	buf := make([]byte, 2048)
	n, src, err := client.ReadFromUDP(buf)
	if err != nil {
		t.Fatalf("no reply through the relay: %v", err)
	}
	if src.String() != r.Addr().String() {
		t.Errorf("reply from %v, want the relay %v", src, r.Addr())
	}
	return buf[:n]
}

// eventually waits, with Gomega's Eventually, until cond holds.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	NewWithT(t).Eventually(cond).WithTimeout(waitTimeout).WithPolling(time.Millisecond).Should(BeTrue(), "waiting for %s", what)
}

func TestRelaysBothWaysAndLearnsTheClient(t *testing.T) {
	t.Parallel()
	up, _ := echo(t)
	r := newRelay(t, udprelay.Config{Upstream: up.LocalAddr().String()})
	client := loopback(t)
	if got := roundTrip(t, client, r, []byte("ping")); !bytes.Equal(got, []byte("ping")) {
		t.Errorf("reply %q", got)
	}
	if r.Client().String() != client.LocalAddr().String() {
		t.Errorf("client %v, want %v", r.Client(), client.LocalAddr())
	}
	// The reply can overtake the relay's own bookkeeping.
	eventually(t, "both directions counted", func() bool { s := r.Stats(); return s.ToUpstream == 1 && s.ToClient == 1 })
	if s := r.Stats(); s.DroppedToClient+s.DroppedToUpstream != 0 {
		t.Errorf("stats %+v", s)
	}
}

func TestCutDropsEverythingUntilRestore(t *testing.T) {
	t.Parallel()
	up, echoed := echo(t)
	r := newRelay(t, udprelay.Config{Upstream: up.LocalAddr().String()})
	client := loopback(t)
	roundTrip(t, client, r, []byte("before"))

	r.Cut()
	if !r.IsCut() {
		t.Fatal("not cut")
	}
	client.WriteToUDP([]byte("during"), r.Addr())
	eventually(t, "the datagram to be dropped", func() bool { return r.Stats().DroppedToUpstream == 1 })
	// Upstream-originated traffic is dropped too.
	up.WriteToUDP([]byte("unsolicited"), r.UpstreamAddr())
	eventually(t, "the upstream datagram to be dropped", func() bool { return r.Stats().DroppedToClient == 1 })
	if echoed.Load() != 1 {
		t.Errorf("upstream received %d datagrams, want only the one before the cut", echoed.Load())
	}

	r.Restore()
	if got := roundTrip(t, client, r, []byte("after")); !bytes.Equal(got, []byte("after")) {
		t.Errorf("reply after restore %q", got)
	}
}

func TestLatencyDelaysBothDirections(t *testing.T) {
	t.Parallel()
	up, _ := echo(t)
	const lat = 60 * time.Millisecond
	r := newRelay(t, udprelay.Config{Upstream: up.LocalAddr().String(), Latency: lat})
	client := loopback(t)
	start := time.Now()
	roundTrip(t, client, r, []byte("slow"))
	if rtt := time.Since(start); rtt < 2*lat {
		t.Errorf("round trip %v, want at least %v", rtt, 2*lat)
	}
	r.SetLatency(0)
	start = time.Now()
	roundTrip(t, client, r, []byte("fast"))
	if rtt := time.Since(start); rtt >= 2*lat {
		t.Errorf("round trip %v after removing the latency", rtt)
	}
}

func TestUpstreamCanSpeakFirstToAConfiguredClient(t *testing.T) {
	t.Parallel()
	client := loopback(t)
	upstream := loopback(t)
	r := newRelay(t, udprelay.Config{Client: client.LocalAddr().String()})
	if err := r.SetUpstream(upstream.LocalAddr().String()); err != nil {
		t.Fatal(err)
	}
	upstream.WriteToUDP([]byte("telemetry"), r.UpstreamAddr())
	client.SetReadDeadline(time.Now().Add(waitTimeout))
	buf := make([]byte, 64)
	n, err := client.Read(buf)
	if err != nil || string(buf[:n]) != "telemetry" {
		t.Fatalf("client got %q, %v", buf[:n], err)
	}
}

func TestCloseStopsEverything(t *testing.T) {
	before := runtime.NumGoroutine()
	r, err := udprelay.New(udprelay.Config{Latency: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	addr, upAddr := r.Addr(), r.UpstreamAddr()
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if err := r.Close(); err != nil {
		t.Fatal("second Close:", err)
	}
	for _, a := range []*net.UDPAddr{addr, upAddr} {
		c, err := net.ListenUDP("udp4", a)
		if err != nil {
			t.Fatalf("%v still bound: %v", a, err)
		}
		c.Close()
	}
	eventually(t, "goroutines to end", func() bool { return runtime.NumGoroutine() <= before })
}

func TestFaultsAreTold(t *testing.T) {
	t.Parallel()
	var told []string
	r := newRelay(t, udprelay.Config{OnFault: func(f string) { told = append(told, f) }})
	r.Cut()
	r.Cut() // already cut: nothing new
	r.Restore()
	r.Restore()
	r.SetLatency(200 * time.Millisecond)
	r.SetLatency(200 * time.Millisecond)
	r.SetLatency(0)
	want := []string{"cut", "restore", "latency 200ms", "latency 0s"}
	if strings.Join(told, ",") != strings.Join(want, ",") {
		t.Fatalf("told %q, want %q", told, want)
	}
}
