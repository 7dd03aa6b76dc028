package sutproc

import (
	"errors"
	"net"
	"syscall"
	"testing"
)

// A reserved port is the gateway's to listen on, again and again, and
// nobody else's: a bind without SO_REUSEADDR is refused.
func TestReservedPortIsListenableAndHeld(t *testing.T) {
	r, err := reservePort()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	for range 2 { // a gateway and its restart
		ln, err := net.Listen("tcp", r.Addr())
		if err != nil {
			t.Fatalf("listen on the reserved %s: %v", r.Addr(), err)
		}
		go func() {
			if c, err := ln.Accept(); err == nil {
				c.Close()
			}
		}()
		c, err := net.Dial("tcp", r.Addr())
		if err != nil {
			t.Fatalf("dial the gateway on %s: %v", r.Addr(), err)
		}
		c.Close()
		ln.Close()
	}

	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer syscall.Close(fd)
	err = syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}, Port: r.port})
	if !errors.Is(err, syscall.EADDRINUSE) {
		t.Fatalf("a plain bind of the reserved port: %v, want EADDRINUSE", err)
	}

	// With nothing listening, a device is refused at once, as before.
	if c, err := net.Dial("tcp", r.Addr()); err == nil {
		c.Close()
		t.Fatal("a connection to a reserved port with no gateway was accepted")
	}
}
