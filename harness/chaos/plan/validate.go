package plan

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Validate checks a plan built in code (the generator's, the shrinker's
// candidates) by the same rules Parse applies; its errors name fields but
// no lines.
func (p *Plan) Validate() error { return validate(p).err("") }

func validate(p *Plan) errorList {
	var errs errorList
	if p.Settle <= 0 {
		errs.add(0, "spec.settle", "required and positive: how long the invariants may take to hold after the last fault is healed")
	}
	validateFleet(&p.Fleet, &errs)
	for i, f := range p.Faults {
		validateFault(p, i, f, &errs)
	}
	validateOverlaps(p, &errs)
	return errs
}

func validateFleet(f *Fleet, errs *errorList) {
	const path = "spec.fleet"
	if f.SUT != "" && f.SUT != SUTProcess && f.SUT != SUTContainers {
		errs.add(0, path+".sut", "unknown SUT mode %q; want %s or %s", f.SUT, SUTProcess, SUTContainers)
	}
	if f.Controllers < 0 {
		errs.add(0, path+".controllers", "want at least 1 controller replica (0 means 1), got %d", f.Controllers)
	}
	uniqueNames(path+".gateways", len(f.Gateways), func(i int) string { return f.Gateways[i] }, "", errs)
	uniqueNames(path+".devices", len(f.Devices), func(i int) string { return f.Devices[i].Name }, ".name", errs)
	uniqueNames(path+".vehicles", len(f.Vehicles), func(i int) string { return f.Vehicles[i].Name }, ".name", errs)
	for i, d := range f.Devices {
		dp := fmt.Sprintf("%s.devices[%d]", path, i)
		if !slices.Contains(Backends, d.Backend) {
			errs.add(0, dp+".backend", "unknown device backend %q; want one of %s", d.Backend, strings.Join(Backends, ", "))
		}
		if d.Profile != "" && !validName(d.Profile) {
			errs.add(0, dp+".profile", "%q is not a firmware profile name", d.Profile)
		}
		if d.Gateway != "" && !slices.Contains(f.GatewayNames(), d.Gateway) {
			errs.add(0, dp+".gateway", "no gateway %q in the fleet (gateways: %s)", d.Gateway, strings.Join(f.GatewayNames(), ", "))
		}
		if e := d.Enrolment; e != "" && e != EnrolToken && e != EnrolPreRegistered {
			errs.add(0, dp+".enrolment", "unknown enrolment %q; want %s or %s", e, EnrolToken, EnrolPreRegistered)
		}
		if d.Start < 0 {
			errs.add(0, dp+".start", "negative: a device starts at or after the plan's start")
		}
	}
	for i, v := range f.Vehicles {
		if _, ok := f.Device(v.Pilot); v.Pilot != "" && !ok {
			errs.add(0, fmt.Sprintf("%s.vehicles[%d].pilot", path, i), "no device %q in the fleet", v.Pilot)
		}
	}
}

func uniqueNames(path string, n int, name func(int) string, suffix string, errs *errorList) {
	seen := map[string]int{}
	for i := range n {
		fp := fmt.Sprintf("%s[%d]%s", path, i, suffix)
		switch s := name(i); {
		case !validName(s):
			errs.add(0, fp, "%q is not a valid name (1 to 63 lower-case letters, digits and '-', not starting or ending with '-')", s)
		case seen[s] > 0:
			errs.add(0, fp, "%q is already the name of %s[%d]", s, path, seen[s]-1)
		default:
			seen[s] = i + 1
		}
	}
}

func validateFault(p *Plan, i int, f Fault, errs *errorList) {
	path := fmt.Sprintf("spec.faults[%d]", i)
	if f.At < 0 {
		errs.add(0, path+".at", "negative: a fault is injected at or after the plan's start")
	}
	spec, ok := f.Kind.Spec()
	if !ok {
		if f.Kind == "" {
			errs.add(0, path+".kind", "required; one of %s", strings.Join(KindNames(), ", "))
		} else {
			errs.add(0, path+".kind", "unknown fault kind %q; known kinds: %s", f.Kind, strings.Join(KindNames(), ", "))
		}
		return
	}
	validateTarget(p, path+".target", spec, f.Target, f.At, errs)

	switch dp := path + ".duration"; {
	case f.Duration < 0:
		errs.add(0, dp, "negative")
	case spec.Window == WindowRequired && f.Duration == 0:
		errs.add(0, dp, "required: %s lasts from at to at+duration", f.Kind)
	case spec.Window == WindowNone && f.Duration != 0:
		errs.add(0, dp, "%s is an instant and takes no duration", f.Kind)
	case f.Kind == Kill && f.Duration > 0 && !f.Restart:
		errs.add(0, dp, "a kill's duration is its downtime before the engine restarts it: set restart: true, or drop the duration to leave restarting to the SUT")
	}

	for _, prm := range params {
		pp := path + "." + string(prm)
		set := f.param(prm) != ""
		switch {
		case !spec.Takes(prm) && set:
			errs.add(0, pp, "%s takes no %s", f.Kind, prm)
		case slices.Contains(spec.Required, prm) && !set:
			errs.add(0, pp, "required by %s", f.Kind)
		}
	}
	switch {
	case f.Latency < 0:
		errs.add(0, path+".latency", "negative")
	case f.Period < 0:
		errs.add(0, path+".period", "negative")
	case f.Period > 0 && f.Duration > 0 && f.Period > f.Duration:
		errs.add(0, path+".period", "%s is longer than the window (%s): the link would never come back up within it", FormatDuration(f.Period), FormatDuration(f.Duration))
	case f.Validity < 0 || (f.Validity > 0 && f.Validity%time.Second != 0):
		errs.add(0, path+".validity", "want a positive whole number of seconds (certificates count time in seconds), got %s", FormatDuration(f.Validity))
	}
}

func validateTarget(p *Plan, path string, spec KindSpec, t Target, at time.Duration, errs *errorList) {
	if t.IsZero() {
		errs.add(0, path, "required: what %s is aimed at (%s)", spec.Kind, targetTypes(spec.Targets))
		return
	}
	if !slices.Contains(spec.Targets, t.Type) {
		errs.add(0, path, "%s is aimed at %s only, not at %s", spec.Kind, targetTypes(spec.Targets), t)
		return
	}
	fl := &p.Fleet
	switch t.Type {
	case TargetDevice:
		d, ok := fl.Device(t.Name)
		if !ok {
			errs.add(0, path, "no device %q in the fleet", t.Name)
			return
		}
		if spec.Backends != nil && !slices.Contains(spec.Backends, d.Backend) {
			errs.add(0, path, "%s applies to %s devices; device %s is %s", spec.Kind, strings.Join(spec.Backends, " and "), d.Name, d.Backend)
		}
		if at < d.Start {
			errs.add(0, path, "device %s starts at %s, after this fault (at %s): aim faults at a device once it runs", d.Name, FormatDuration(d.Start), FormatDuration(at))
		}
	case TargetGateway:
		if !slices.Contains(fl.GatewayNames(), t.Name) {
			errs.add(0, path, "no gateway %q in the fleet (gateways: %s)", t.Name, strings.Join(fl.GatewayNames(), ", "))
			return
		}
	case TargetController:
		if t.Name != "" {
			if i, _ := strconv.Atoi(t.Name); i >= fl.ControllerCount() {
				errs.add(0, path, "the fleet has %d controller replica(s), numbered from 0", fl.ControllerCount())
				return
			}
		}
	case TargetVehicle:
		if !slices.ContainsFunc(fl.Vehicles, func(v FleetVehicle) bool { return v.Name == t.Name }) {
			errs.add(0, path, "no vehicle %q in the fleet", t.Name)
			return
		}
	}
	if spec.InContainer && (t.Type == TargetGateway || t.Type == TargetController) && fl.SUTMode() != SUTContainers {
		errs.add(0, path, "%s needs the SUT in containers (spec.fleet.sut: %s); this fleet runs it as %s", spec.Kind, SUTContainers, fl.SUTMode())
	}
}

// targetTypes lists target types as a sentence does: "a, b or c".
func targetTypes(ts []TargetType) string {
	s := make([]string, len(ts))
	for i, t := range ts {
		s[i] = string(t)
	}
	if len(s) < 2 {
		return strings.Join(s, "")
	}
	return strings.Join(s[:len(s)-1], ", ") + " or " + s[len(s)-1]
}

// validateOverlaps refuses two faults that hold the same resource of one
// target at the same time. Windows are closed intervals: a fault that
// starts the instant another ends still overlaps it, since the engine
// would heal one and inject the other concurrently, in either order.
func validateOverlaps(p *Plan, errs *errorList) {
	for j, b := range p.Faults {
		for i, a := range p.Faults[:j] {
			if held, ok := conflict(a, b); ok {
				errs.add(0, fmt.Sprintf("spec.faults[%d]", j),
					"overlaps faults[%d] (%s on %s from %s to %s): both hold the %s of %s; leave a gap between them",
					i, a.Kind, a.Target, FormatDuration(a.At), FormatDuration(a.End()), held, b.Target)
			}
		}
	}
}

// conflict reports whether a and b hold the same resource of one target
// at the same time, and which resource.
func conflict(a, b Fault) (string, bool) {
	sa, okA := a.Kind.Spec()
	sb, okB := b.Kind.Spec()
	if !okA || !okB || sa.Holds != sb.Holds || !sameResource(a.Target, b.Target) {
		return "", false
	}
	return sa.Holds, a.At <= b.End() && b.At <= a.End()
}

// sameResource reports whether two targets may be the same thing: the
// leading controller is any of the replicas.
func sameResource(a, b Target) bool {
	if a.Type == TargetController && b.Type == TargetController {
		return a.Name == "" || b.Name == "" || a.Name == b.Name
	}
	return a == b
}
