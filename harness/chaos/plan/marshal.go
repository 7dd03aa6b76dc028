package plan

import (
	"bytes"
	"strconv"

	yaml "go.yaml.in/yaml/v3"
)

// Marshal writes the plan in its canonical form: fixed key order, defaults
// left out, one line per device and per fault, durations spelt by
// FormatDuration. Parse then Marshal of any valid plan gives this form,
// and the form is a fixed point: Marshal(Parse(Marshal(p))) equals
// Marshal(p).
func (p *Plan) Marshal() ([]byte, error) {
	root := mapping(false)
	root.add("apiVersion", str(APIVersion))
	root.add("kind", str(DocumentKind))
	meta := mapping(false)
	meta.addIf(p.Name != "", "name", str(p.Name))
	meta.addIf(p.Description != "", "description", str(p.Description))
	if p.Seed != nil {
		meta.add("seed", plain(strconv.FormatUint(*p.Seed, 10)))
	}
	root.addIf(len(meta.Content) > 0, "metadata", meta.Node)

	spec := mapping(false)
	spec.add("settle", plain(FormatDuration(p.Settle)))
	if fl := fleetNode(&p.Fleet); len(fl.Content) > 0 {
		spec.add("fleet", fl)
	}
	faults := &yaml.Node{Kind: yaml.SequenceNode}
	for _, f := range p.Faults {
		faults.Content = append(faults.Content, faultNode(f))
	}
	if len(faults.Content) == 0 {
		faults.Style = yaml.FlowStyle
	}
	spec.add("faults", faults)
	root.add("spec", spec.Node)

	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(&yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{root.Node}}); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func fleetNode(f *Fleet) *yaml.Node {
	m := mapping(false)
	m.addIf(f.SUT != "", "sut", str(f.SUT))
	if len(f.Gateways) > 0 {
		gws := &yaml.Node{Kind: yaml.SequenceNode, Style: yaml.FlowStyle}
		for _, g := range f.Gateways {
			gws.Content = append(gws.Content, str(g))
		}
		m.add("gateways", gws)
	}
	m.addIf(f.Controllers != 0, "controllers", plain(strconv.Itoa(f.Controllers)))
	if len(f.Devices) > 0 {
		devs := &yaml.Node{Kind: yaml.SequenceNode}
		for _, d := range f.Devices {
			n := mapping(true)
			n.add("name", str(d.Name))
			n.add("backend", str(d.Backend))
			n.addIf(d.Profile != "", "profile", str(d.Profile))
			n.addIf(d.Gateway != "", "gateway", str(d.Gateway))
			n.addIf(d.Enrolment != "", "enrolment", str(d.Enrolment))
			n.addIf(d.Start != 0, "start", plain(FormatDuration(d.Start)))
			devs.Content = append(devs.Content, n.Node)
		}
		m.add("devices", devs)
	}
	if len(f.Vehicles) > 0 {
		vs := &yaml.Node{Kind: yaml.SequenceNode}
		for _, v := range f.Vehicles {
			n := mapping(true)
			n.add("name", str(v.Name))
			n.addIf(v.Pilot != "", "pilot", str(v.Pilot))
			vs.Content = append(vs.Content, n.Node)
		}
		m.add("vehicles", vs)
	}
	return m.Node
}

func faultNode(f Fault) *yaml.Node {
	n := mapping(true)
	n.add("at", plain(FormatDuration(f.At)))
	n.add("kind", str(string(f.Kind)))
	n.add("target", str(f.Target.String()))
	n.addIf(f.Duration != 0, "duration", plain(FormatDuration(f.Duration)))
	for _, p := range params {
		if v := f.param(p); v != "" {
			n.add(string(p), plain(v))
		}
	}
	return n.Node
}

type mappingNode struct{ *yaml.Node }

func mapping(flow bool) mappingNode {
	n := &yaml.Node{Kind: yaml.MappingNode}
	if flow {
		n.Style = yaml.FlowStyle
	}
	return mappingNode{n}
}

func (m mappingNode) add(key string, v *yaml.Node) {
	m.Content = append(m.Content, plain(key), v)
}

func (m mappingNode) addIf(cond bool, key string, v *yaml.Node) {
	if cond {
		m.add(key, v)
	}
}

// str is a string scalar: quoted when it would otherwise read as another
// type.
func str(v string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: v} }

// plain is a scalar written as is (durations, numbers, booleans, keys).
func plain(v string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Value: v} }
