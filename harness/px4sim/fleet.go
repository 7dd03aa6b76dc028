package px4sim

import (
	"errors"
	"fmt"
	"net"
	"strconv"
)

// Fleet is several simulated vehicles, laid out like PX4's multi-vehicle
// SITL (sitl_multiple_run.sh): vehicle i is instance base.Instance+i with
// system id base.SystemID+i (default 1+instance), ports offset by i, all
// GCS links sending to the same ground-station port, and distinct seeds.
type Fleet struct {
	Sims []*Sim
}

// NewFleet creates n vehicles from a base configuration. Ports in base
// that are 0 stay ephemeral for every vehicle; other explicit ports are
// offset by the vehicle's index, except the GCS remote, which all share.
func NewFleet(base Config, n int) (*Fleet, error) {
	if n < 1 {
		return nil, fmt.Errorf("px4sim: fleet of %d vehicles", n)
	}
	f := &Fleet{}
	for i := range n {
		cfg := base
		cfg.Instance = base.Instance + i
		if base.SystemID != 0 {
			if int(base.SystemID)+i > 255 {
				f.Close()
				return nil, errors.New("px4sim: system ids beyond 255")
			}
			cfg.SystemID = base.SystemID + uint8(i)
		}
		cfg.Seed = base.Seed + uint64(i)
		var err error
		if cfg.GCS.Bind, err = offsetPort(base.GCS.Bind, i); err == nil {
			if cfg.API.Bind, err = offsetPort(base.API.Bind, i); err == nil {
				cfg.API.Remote, err = offsetPort(base.API.Remote, i)
			}
		}
		if err != nil {
			f.Close()
			return nil, err
		}
		s, err := New(cfg)
		if err != nil {
			f.Close()
			return nil, err
		}
		f.Sims = append(f.Sims, s)
	}
	return f, nil
}

// offsetPort adds i to an explicit, non-zero port; defaults ("") and
// ephemeral ports are left for New to resolve per instance.
func offsetPort(addr string, i int) (string, error) {
	if addr == "" || addr == NoRemote || i == 0 {
		return addr, nil
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", fmt.Errorf("px4sim: address %q: %w", addr, err)
	}
	p, err := strconv.Atoi(port)
	if err != nil {
		return "", fmt.Errorf("px4sim: address %q: %w", addr, err)
	}
	if p == 0 {
		return addr, nil
	}
	return net.JoinHostPort(host, strconv.Itoa(p+i)), nil
}

// Start starts every vehicle.
func (f *Fleet) Start() error {
	for _, s := range f.Sims {
		if err := s.Start(); err != nil {
			return err
		}
	}
	return nil
}

// Close stops every vehicle.
func (f *Fleet) Close() error {
	var err error
	for _, s := range f.Sims {
		err = errors.Join(err, s.Close())
	}
	return err
}
