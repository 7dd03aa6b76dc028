package linkfault

import (
	"bufio"
	"io"
	"net"
	"strings"
	"testing"
	"time"
)

// echoServer echoes lines and reports when a connection ends.
func echoServer(t *testing.T) (string, <-chan struct{}) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	closed := make(chan struct{}, 8)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				_, _ = io.Copy(c, c)
				c.Close()
				closed <- struct{}{}
			}()
		}
	}()
	return ln.Addr().String(), closed
}

func roundTrip(c net.Conn, msg string) error {
	_ = c.SetDeadline(time.Now().Add(300 * time.Millisecond))
	if _, err := c.Write([]byte(msg + "\n")); err != nil {
		return err
	}
	_, err := bufio.NewReader(c).ReadString('\n')
	return err
}

func TestCutRestoreAndBlackhole(t *testing.T) {
	upstream, closed := echoServer(t)
	p := New()
	defer p.Close()
	l, err := p.Add("dev", upstream)
	if err != nil {
		t.Fatal(err)
	}
	c, err := net.Dial("tcp", l.Addr)
	if err != nil {
		t.Fatal(err)
	}
	if err := roundTrip(c, "hello"); err != nil {
		t.Fatalf("clean link: %v", err)
	}

	// Blackhole: bytes vanish, and closing our side is not passed on.
	if err := l.Blackhole(); err != nil {
		t.Fatal(err)
	}
	if err := roundTrip(c, "lost"); err == nil {
		t.Fatal("data crossed a blackholed link")
	}
	c.Close()
	select {
	case <-closed:
		t.Fatal("the upstream saw the close through a blackhole")
	case <-time.After(300 * time.Millisecond):
	}
	l.Clear()

	// Cut: everything closes and new connections are refused; Restore
	// brings the same address back.
	c2, err := net.Dial("tcp", l.Addr)
	if err != nil {
		t.Fatal(err)
	}
	if err := roundTrip(c2, "again"); err != nil {
		t.Fatalf("after Clear: %v", err)
	}
	l.Cut()
	if _, err := net.DialTimeout("tcp", l.Addr, 200*time.Millisecond); err == nil {
		t.Fatal("a cut link accepted a connection")
	}
	if err := l.Restore(); err != nil {
		t.Fatal(err)
	}
	c3, err := net.Dial("tcp", l.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c3.Close()
	if err := roundTrip(c3, "back"); err != nil {
		t.Fatalf("after Restore: %v", err)
	}
}

func TestFaultsAreTold(t *testing.T) {
	upstream, _ := echoServer(t)
	p := New()
	var told []string
	p.OnFault(func(link, fault string) { told = append(told, link+" "+fault) })
	l, err := p.Add("dev-7", upstream)
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Latency(200); err != nil {
		t.Fatal(err)
	}
	l.Clear()
	if err := l.Blackhole(); err != nil {
		t.Fatal(err)
	}
	l.Clear()
	if err := l.Reset(); err != nil {
		t.Fatal(err)
	}
	l.Clear()
	l.Cut()
	l.Cut() // already cut: nothing new happened
	if err := l.Restore(); err != nil {
		t.Fatal(err)
	}
	p.Close() // teardown is not a fault
	want := []string{"dev-7 latency 200ms", "dev-7 clear", "dev-7 blackhole", "dev-7 clear", "dev-7 reset", "dev-7 clear", "dev-7 cut", "dev-7 restore"}
	if strings.Join(told, "\n") != strings.Join(want, "\n") {
		t.Fatalf("told:\n%s\nwant:\n%s", strings.Join(told, "\n"), strings.Join(want, "\n"))
	}
}
