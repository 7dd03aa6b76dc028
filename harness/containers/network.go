package containers

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/netip"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/client"
	tcnetwork "github.com/testcontainers/testcontainers-go/network"
)

// Network is a bridge network created by a Session.
type Network struct {
	// ID and Name are Docker's.
	ID, Name string
	// Gateway is the host's address on the bridge: the one address of the
	// host that containers on the network can reach.
	Gateway netip.Addr

	s *Session
}

// NewNetwork creates a labelled bridge network through testcontainers.
func (s *Session) NewNetwork(ctx context.Context) (*Network, error) {
	disableRyuk()
	nw, err := tcnetwork.New(ctx, tcnetwork.WithDriver("bridge"), tcnetwork.WithLabels(labels(s.runID, "network")))
	if err != nil {
		return nil, fmt.Errorf("create Docker network: %w", err)
	}
	n := &Network{ID: nw.ID, Name: nw.Name, s: s}
	s.mu.Lock()
	s.networks[n.ID] = n
	s.mu.Unlock()
	insp, err := s.cli.NetworkInspect(ctx, n.ID, client.NetworkInspectOptions{})
	if err != nil {
		_ = n.remove(ctx)
		return nil, fmt.Errorf("inspect network %s: %w", n.Name, err)
	}
	for _, cfg := range insp.Network.IPAM.Config {
		if cfg.Gateway.Is4() {
			n.Gateway = cfg.Gateway
			break
		}
	}
	if !n.Gateway.IsValid() {
		_ = n.remove(ctx)
		return nil, fmt.Errorf("network %s has no IPv4 gateway address", n.Name)
	}
	return n, nil
}

func (n *Network) connect(ctx context.Context, containerID string, aliases []string) error {
	_, err := n.s.cli.NetworkConnect(ctx, n.ID, client.NetworkConnectOptions{
		Container:      containerID,
		EndpointConfig: &network.EndpointSettings{Aliases: aliases},
	})
	return err
}

func (n *Network) remove(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, removeTimeout)
	defer cancel()
	_, err := n.s.cli.NetworkRemove(ctx, n.ID, client.NetworkRemoveOptions{})
	n.s.mu.Lock()
	delete(n.s.networks, n.ID)
	n.s.mu.Unlock()
	if err != nil && !cerrdefs.IsNotFound(err) {
		return fmt.Errorf("remove network %s: %w", n.Name, err)
	}
	return nil
}

func randomSuffix() string {
	b := make([]byte, 3)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
