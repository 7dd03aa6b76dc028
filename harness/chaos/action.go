package chaos

import (
	"context"
	"fmt"
	"strings"

	"github.com/wasmbed/wasmbed/harness/chaos/plan"
)

// undo heals one injected fault.
type undo func(ctx context.Context) error

// action is how the engine injects one kind of fault through Targets.
type action struct {
	// needs names the part of Targets it uses, for the error when a
	// testbed does not provide it.
	needs string
	have  func(Targets) bool
	// inject puts the fault in and returns how to undo it (nil when
	// there is nothing to undo) and the target it really hit. It returns
	// the undo even with an error when the fault may be partly in: undoing
	// is always safe, leaving half a fault is not.
	inject func(ctx context.Context, r *runner, i int, f plan.Fault) (undo, plan.Target, error)
}

// actions maps every kind of the catalogue to its action; a test checks
// that none is missing.
var actions = map[plan.Kind]action{
	plan.LinkCut: linkAction(func(ctx context.Context, l Links, f plan.Fault) (undo, error) {
		d := f.Target.Name
		return func(ctx context.Context) error { return l.Restore(ctx, d) }, l.Cut(ctx, d)
	}),
	plan.LinkBlackhole: linkAction(func(ctx context.Context, l Links, f plan.Fault) (undo, error) {
		return clearLink(l, f), l.Blackhole(ctx, f.Target.Name)
	}),
	plan.LinkLatency: linkAction(func(ctx context.Context, l Links, f plan.Fault) (undo, error) {
		return clearLink(l, f), l.Delay(ctx, f.Target.Name, f.Latency)
	}),
	plan.LinkReset: linkAction(func(ctx context.Context, l Links, f plan.Fault) (undo, error) {
		return clearLink(l, f), l.Reset(ctx, f.Target.Name)
	}),
	plan.LinkFlap: {needs: "Links", have: func(t Targets) bool { return t.Links != nil },
		inject: func(ctx context.Context, r *runner, i int, f plan.Fault) (undo, plan.Target, error) {
			u, err := r.flap(ctx, i, f)
			return u, f.Target, err
		}},
	plan.Kill: processAction(func(ctx context.Context, p Processes, f plan.Fault) (undo, plan.Target, error) {
		hit, err := p.Kill(ctx, f.Target)
		if err != nil || !f.Restart {
			return nil, hit, err
		}
		return func(ctx context.Context) error { return p.Start(ctx, hit) }, hit, nil
	}),
	plan.Restart: processAction(func(ctx context.Context, p Processes, f plan.Fault) (undo, plan.Target, error) {
		hit, err := p.Stop(ctx, f.Target)
		if hit.IsZero() {
			// Stop could not even tell which replica it meant: there is
			// nothing the engine could start again.
			return nil, f.Target, err
		}
		return func(ctx context.Context) error { return p.Start(ctx, hit) }, hit, err
	}),
	plan.EtcdStall: {needs: "Etcd", have: func(t Targets) bool { return t.Etcd != nil },
		inject: func(ctx context.Context, r *runner, _ int, f plan.Fault) (undo, plan.Target, error) {
			e := r.targets.Etcd
			return e.Resume, f.Target, e.Stall(ctx)
		}},
	plan.PowerCut: powerAction(func(ctx context.Context, p Power, d string) (undo, error) {
		return func(ctx context.Context) error { return p.On(ctx, d) }, p.Cut(ctx, d)
	}),
	plan.PowerReset: powerAction(func(ctx context.Context, p Power, d string) (undo, error) {
		return nil, p.Reset(ctx, d)
	}),
	plan.MAVLinkLoss: {needs: "MAVLink", have: func(t Targets) bool { return t.MAVLink != nil },
		inject: func(ctx context.Context, r *runner, _ int, f plan.Fault) (undo, plan.Target, error) {
			m, v := r.targets.MAVLink, f.Target.Name
			return func(ctx context.Context) error { return m.Restore(ctx, v) }, f.Target, m.Cut(ctx, v)
		}},
	plan.ContainerPause: containerAction(func(ctx context.Context, c Containers, t plan.Target) (undo, error) {
		return func(ctx context.Context) error { return c.Unpause(ctx, t) }, c.Pause(ctx, t)
	}),
	plan.ContainerDisconnect: containerAction(func(ctx context.Context, c Containers, t plan.Target) (undo, error) {
		return func(ctx context.Context) error { return c.Reconnect(ctx, t) }, c.Disconnect(ctx, t)
	}),
	plan.ClockSkew: {needs: "Clocks", have: func(t Targets) bool { return t.Clocks != nil },
		inject: func(ctx context.Context, r *runner, _ int, f plan.Fault) (undo, plan.Target, error) {
			c, d := r.targets.Clocks, f.Target.Name
			return func(ctx context.Context) error { return c.Skew(ctx, d, plan.Skew{}) }, f.Target, c.Skew(ctx, d, f.Skew)
		}},
	plan.CertLifetime: {needs: "Certificates", have: func(t Targets) bool { return t.Certificates != nil },
		inject: func(ctx context.Context, r *runner, _ int, f plan.Fault) (undo, plan.Target, error) {
			c, gw := r.targets.Certificates, f.Target.Name
			prev, err := c.SetValidity(ctx, gw, f.Validity)
			if err != nil {
				// Whether it was set is unknown, and so is the value to
				// restore: report it rather than guess.
				return nil, f.Target, err
			}
			return func(ctx context.Context) error { _, err := c.SetValidity(ctx, gw, prev); return err }, f.Target, nil
		}},
}

func linkAction(do func(context.Context, Links, plan.Fault) (undo, error)) action {
	return action{needs: "Links", have: func(t Targets) bool { return t.Links != nil },
		inject: func(ctx context.Context, r *runner, _ int, f plan.Fault) (undo, plan.Target, error) {
			u, err := do(ctx, r.targets.Links, f)
			return u, f.Target, err
		}}
}

func clearLink(l Links, f plan.Fault) undo {
	d := f.Target.Name
	return func(ctx context.Context) error { return l.Clear(ctx, d) }
}

func processAction(do func(context.Context, Processes, plan.Fault) (undo, plan.Target, error)) action {
	return action{needs: "Processes", have: func(t Targets) bool { return t.Processes != nil },
		inject: func(ctx context.Context, r *runner, _ int, f plan.Fault) (undo, plan.Target, error) {
			return do(ctx, r.targets.Processes, f)
		}}
}

func powerAction(do func(context.Context, Power, string) (undo, error)) action {
	return action{needs: "Power", have: func(t Targets) bool { return t.Power != nil },
		inject: func(ctx context.Context, r *runner, _ int, f plan.Fault) (undo, plan.Target, error) {
			u, err := do(ctx, r.targets.Power, f.Target.Name)
			return u, f.Target, err
		}}
}

func containerAction(do func(context.Context, Containers, plan.Target) (undo, error)) action {
	return action{needs: "Containers", have: func(t Targets) bool { return t.Containers != nil },
		inject: func(ctx context.Context, r *runner, _ int, f plan.Fault) (undo, plan.Target, error) {
			u, err := do(ctx, r.targets.Containers, f.Target)
			return u, f.Target, err
		}}
}

// missingTargets lists, for each fault whose kind needs a part of Targets
// the testbed left nil, what is missing.
func missingTargets(p *plan.Plan, t Targets) error {
	var missing []string
	for i, f := range p.Faults {
		a, ok := actions[f.Kind]
		switch {
		case !ok:
			missing = append(missing, fmt.Sprintf("faults[%d]: the engine cannot inject %s", i, f.Kind))
		case !a.have(t):
			missing = append(missing, fmt.Sprintf("faults[%d] (%s on %s) needs Targets.%s", i, f.Kind, f.Target, a.needs))
		}
	}
	for _, d := range p.Fleet.Devices {
		if d.Start > 0 && t.Power == nil {
			missing = append(missing, fmt.Sprintf("device %s starts at %s and needs Targets.Power", d.Name, plan.FormatDuration(d.Start)))
		}
	}
	if len(missing) == 0 {
		return nil
	}
	return fmt.Errorf("chaos: this testbed cannot run the plan: %s", strings.Join(missing, "; "))
}
