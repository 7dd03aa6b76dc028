package sutproc

import (
	"fmt"
	"net"
	"strconv"
	"syscall"
)

// reservedPort keeps a loopback TCP port for one gateway across all its
// incarnations, so a device (and the Gateway object's endpoint) finds the
// gateway at the same address after a restart.
//
// Picking a free port by listening on :0 and closing the listener races
// every other process on the machine: between the close and the gateway's
// own bind, anything may take the port. A reservation never lets go of
// it: it binds a socket to 127.0.0.1:0 with SO_REUSEADDR and keeps it
// bound, but never listens on it, for as long as the gateway may run.
// Linux then
//
//   - lets a socket that also sets SO_REUSEADDR bind and listen on that
//     port, because the only other socket on it is not listening — the Go
//     runtime sets SO_REUSEADDR on every TCP listener, so the gateway
//     binds its --listen address as usual, whether it runs as a process or
//     as a container on the host's network;
//   - never hands the port out for a bind to port 0 or to an outgoing
//     connection, since a socket bound by bind() owns it.
//
// The alternative, handing the gateway a listening socket by file
// descriptor, would need a new SUT flag, cannot cross into a container,
// and would change what a device sees while the gateway is down: its
// connection would wait in the backlog instead of being refused.
type reservedPort struct {
	fd   int
	port int
}

// reservePort reserves a free loopback port.
func reservePort() (*reservedPort, error) {
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("reserve a port: %w", err)
	}
	r := &reservedPort{fd: fd}
	if err := syscall.SetsockoptInt(fd, syscall.SOL_SOCKET, syscall.SO_REUSEADDR, 1); err != nil {
		r.Close()
		return nil, fmt.Errorf("reserve a port: SO_REUSEADDR: %w", err)
	}
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		r.Close()
		return nil, fmt.Errorf("reserve a port: bind 127.0.0.1:0: %w", err)
	}
	sa, err := syscall.Getsockname(fd)
	if err != nil {
		r.Close()
		return nil, fmt.Errorf("reserve a port: %w", err)
	}
	r.port = sa.(*syscall.SockaddrInet4).Port
	return r, nil
}

// Addr is the reserved address, 127.0.0.1:<port>.
func (r *reservedPort) Addr() string {
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(r.port))
}

// Close gives the port back.
func (r *reservedPort) Close() {
	if r.fd >= 0 {
		_ = syscall.Close(r.fd)
		r.fd = -1
	}
}
