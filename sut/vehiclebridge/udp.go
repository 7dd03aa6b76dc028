package vehiclebridge

import (
	"fmt"
	"net"
	"strings"
	"sync"
)

// vehicleUDP is the gateway's UDP socket towards one vehicle, shaped as the
// io.ReadWriteCloser gomavlib's custom endpoint takes.
//
// It is one socket for the life of the link, bound once. That matters with
// PX4: a PX4 UDP link latches the first address it hears from and answers
// only that address from then on, so a client that reconnected from a new
// ephemeral port (as gomavlib's own UDP client endpoint does after an idle
// timeout) would lose the vehicle for good.
//
// Writes never fail: a datagram that cannot be sent is dropped, as UDP
// would, because gomavlib ends a channel on a write error and a custom
// endpoint does not come back.
type vehicleUDP struct {
	conn  *net.UDPConn
	learn bool // udp-listen: the peer is whoever sent last

	mu   sync.Mutex
	peer *net.UDPAddr // where writes go; nil until learned
}

// parseVehicleEndpoint splits a Device's mavlink endpoint into its mode
// ("udp" or "udp-listen") and address.
func parseVehicleEndpoint(endpoint string) (mode, addr string, err error) {
	mode, addr, ok := strings.Cut(endpoint, "://")
	if !ok || (mode != "udp" && mode != "udp-listen") {
		return "", "", fmt.Errorf("mavlink endpoint %q: want udp://host:port or udp-listen://host:port", endpoint)
	}
	if _, _, err := net.SplitHostPort(addr); err != nil {
		return "", "", fmt.Errorf("mavlink endpoint %q: %w", endpoint, err)
	}
	return mode, addr, nil
}

// dialVehicle opens the socket for endpoint. udp://host:port sends to the
// autopilot from an ephemeral port; udp-listen://host:port binds there and
// answers whoever sent last (the autopilot sends first).
func dialVehicle(endpoint string) (*vehicleUDP, error) {
	mode, addr, err := parseVehicleEndpoint(endpoint)
	if err != nil {
		return nil, err
	}
	ua, err := net.ResolveUDPAddr("udp", addr)
	if err != nil {
		return nil, fmt.Errorf("mavlink endpoint %q: %w", endpoint, err)
	}
	if mode == "udp-listen" {
		conn, err := net.ListenUDP("udp", ua)
		if err != nil {
			return nil, fmt.Errorf("mavlink endpoint %q: %w", endpoint, err)
		}
		return &vehicleUDP{conn: conn, learn: true}, nil
	}
	network := "udp4"
	if ua.IP.To4() == nil && ua.IP != nil {
		network = "udp6"
	}
	conn, err := net.ListenUDP(network, nil)
	if err != nil {
		return nil, fmt.Errorf("mavlink endpoint %q: %w", endpoint, err)
	}
	return &vehicleUDP{conn: conn, peer: ua}, nil
}

// Read returns the next datagram from the vehicle. With a udp:// endpoint,
// datagrams from any other address are dropped, so another local process
// cannot pose as the autopilot.
func (v *vehicleUDP) Read(p []byte) (int, error) {
	for {
		n, src, err := v.conn.ReadFromUDP(p)
		if err != nil {
			return n, err
		}
		v.mu.Lock()
		switch {
		case v.learn:
			v.peer = src
		case !v.peer.IP.Equal(src.IP) || v.peer.Port != src.Port:
			v.mu.Unlock()
			continue
		}
		v.mu.Unlock()
		return n, nil
	}
}

// Write sends one datagram to the vehicle, or drops it.
func (v *vehicleUDP) Write(p []byte) (int, error) {
	v.mu.Lock()
	dst := v.peer
	v.mu.Unlock()
	if dst != nil {
		_, _ = v.conn.WriteToUDP(p, dst)
	}
	return len(p), nil
}

// Close closes the socket, ending gomavlib's reads.
func (v *vehicleUDP) Close() error { return v.conn.Close() }
