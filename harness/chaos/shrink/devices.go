package shrink

import (
	"context"
	"slices"

	"github.com/wasmbed/wasmbed/harness/chaos/plan"
)

// devices drops what of the fleet the plan may not need: first the
// devices and vehicles no fault is aimed at (by ddmin, so a bug that
// needs some of them keeps exactly those), then each device that faults
// are aimed at, with those faults.
func (s *shrinker) devices(ctx context.Context) error {
	base := s.best
	free := untargeted(base)
	_, _, err := ddmin(ctx, len(free), func(ctx context.Context, keep []int) (bool, error) {
		drop := slices.Clone(free)
		for _, k := range slices.Backward(keep) {
			drop = slices.Delete(drop, k, k+1)
		}
		return s.fails(ctx, "devices", without(base, drop))
	})
	if err != nil {
		return err
	}
	for _, d := range slices.Clone(s.best.Fleet.Devices) {
		if pilots(s.best, d.Name) || len(s.best.Faults) == 0 {
			continue
		}
		cand := without(s.best, []plan.Target{plan.Device(d.Name)})
		cand.Faults = slices.DeleteFunc(cand.Faults, func(f plan.Fault) bool { return f.Target == plan.Device(d.Name) })
		if len(cand.Faults) == len(s.best.Faults) {
			continue // untargeted: the pass above dealt with it
		}
		if _, err := s.fails(ctx, "devices", cand); err != nil {
			return err
		}
	}
	return nil
}

// untargeted lists the devices and vehicles of p's fleet that no fault is
// aimed at, and that fly no vehicle, in the fleet's order.
func untargeted(p *plan.Plan) []plan.Target {
	aimed := p.Targets()
	var out []plan.Target
	for _, d := range p.Fleet.Devices {
		if t := plan.Device(d.Name); !slices.Contains(aimed, t) && !pilots(p, d.Name) {
			out = append(out, t)
		}
	}
	for _, v := range p.Fleet.Vehicles {
		if t := plan.Vehicle(v.Name); !slices.Contains(aimed, t) {
			out = append(out, t)
		}
	}
	return out
}

func pilots(p *plan.Plan, device string) bool {
	return slices.ContainsFunc(p.Fleet.Vehicles, func(v plan.FleetVehicle) bool { return v.Pilot == device })
}

// without is p with the devices and vehicles named by drop taken out of
// its fleet.
func without(p *plan.Plan, drop []plan.Target) *plan.Plan {
	c := p.Clone()
	c.Fleet.Devices = slices.DeleteFunc(c.Fleet.Devices, func(d plan.FleetDevice) bool {
		return slices.Contains(drop, plan.Device(d.Name))
	})
	c.Fleet.Vehicles = slices.DeleteFunc(c.Fleet.Vehicles, func(v plan.FleetVehicle) bool {
		return slices.Contains(drop, plan.Vehicle(v.Name))
	})
	return c
}
