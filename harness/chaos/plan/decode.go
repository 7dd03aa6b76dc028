package plan

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"

	yaml "go.yaml.in/yaml/v3"
)

// Parse reads a plan strictly and validates it. Every problem is reported,
// each with its line and field (*Errors).
func Parse(data []byte) (*Plan, error) { return parse(data, "") }

// ParseFile reads the plan in the named file; errors carry the file name.
func ParseFile(path string) (*Plan, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return parse(data, path)
}

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

func parse(data []byte, file string) (*Plan, error) {
	var errs errorList
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			errs.add(0, "", "the document is empty; a plan starts with apiVersion: %s and kind: %s", APIVersion, DocumentKind)
		} else if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
			line, _ := strconv.Atoi(m[1])
			errs.add(line, "", "not YAML: %s", m[2])
		} else {
			errs.add(0, "", "not YAML: %v", err)
		}
		return nil, errs.err(file)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		errs.add(extra.Line, "", "a plan is one YAML document; another one starts here")
		return nil, errs.err(file)
	}
	d := &decoder{lines: map[string]int{}}
	p := d.document(&doc)
	errs = d.errs
	// Validate what could be decoded, so that every problem shows at once,
	// but say nothing more about a field that could not be read: its zero
	// value would only add a misleading second error.
	for _, fe := range validate(p) {
		if !slices.ContainsFunc(d.errs, func(de *FieldError) bool { return within(fe.Path, de.Path) }) {
			fe.Line = d.lineOf(fe.Path)
			errs = append(errs, fe)
		}
	}
	if err := errs.err(file); err != nil {
		return nil, err
	}
	return p, nil
}

// within reports whether path is parent or a field below it. The
// document's root ("") is the parent of nothing: a missing top-level field
// does not hide the rest.
func within(path, parent string) bool {
	if parent == "" {
		return false
	}
	return path == parent || strings.HasPrefix(path, parent+".") || strings.HasPrefix(path, parent+"[")
}

func (d *decoder) constant(want string) func(*yaml.Node, string) {
	return func(n *yaml.Node, path string) {
		if v, ok := d.scalar(n, path); ok && v != want {
			d.errs.add(n.Line, path, "want %s, got %q (this harness reads %s %s documents)", want, v, APIVersion, DocumentKind)
		}
	}
}

func (d *decoder) document(doc *yaml.Node) *Plan {
	p := &Plan{}
	root := doc
	if doc.Kind == yaml.DocumentNode && len(doc.Content) == 1 {
		root = doc.Content[0]
	}
	var haveVersion, haveKind, haveSpec bool
	mark := func(b *bool, f func(*yaml.Node, string)) func(*yaml.Node, string) {
		return func(n *yaml.Node, path string) { *b = true; f(n, path) }
	}
	d.mapping(root, "", []field{
		{"apiVersion", mark(&haveVersion, d.constant(APIVersion))},
		{"kind", mark(&haveKind, d.constant(DocumentKind))},
		{"metadata", func(n *yaml.Node, path string) { d.metadata(n, path, p) }},
		{"spec", mark(&haveSpec, func(n *yaml.Node, path string) { d.spec(n, path, p) })},
	})
	if root.Kind == yaml.MappingNode {
		for _, missing := range []struct {
			have bool
			name string
		}{{haveVersion, "apiVersion: " + APIVersion}, {haveKind, "kind: " + DocumentKind}, {haveSpec, "spec"}} {
			if !missing.have {
				d.errs.add(root.Line, "", "missing %s", missing.name)
			}
		}
	}
	return p
}

func (d *decoder) metadata(n *yaml.Node, path string, p *Plan) {
	d.mapping(n, path, []field{
		{"name", d.str(&p.Name)},
		{"description", d.str(&p.Description)},
		{"seed", value(d, &p.Seed, func(v string) (*uint64, error) {
			seed, err := strconv.ParseUint(v, 10, 64)
			if err != nil {
				return nil, fmt.Errorf("want a whole number from 0 to 2^64-1, got %q", v)
			}
			return &seed, nil
		})},
	})
}

func (d *decoder) spec(n *yaml.Node, path string, p *Plan) {
	d.mapping(n, path, []field{
		{"settle", d.duration(&p.Settle)},
		{"fleet", func(n *yaml.Node, path string) { d.fleet(n, path, &p.Fleet) }},
		{"faults", func(n *yaml.Node, path string) {
			d.sequence(n, path, func(n *yaml.Node, path string) {
				p.Faults = append(p.Faults, d.fault(n, path))
			})
		}},
	})
}

func (d *decoder) fleet(n *yaml.Node, path string, f *Fleet) {
	d.mapping(n, path, []field{
		{"sut", d.str(&f.SUT)},
		{"gateways", func(n *yaml.Node, path string) {
			d.sequence(n, path, func(n *yaml.Node, path string) {
				var g string
				d.str(&g)(n, path)
				f.Gateways = append(f.Gateways, g)
			})
		}},
		{"controllers", d.integer(&f.Controllers)},
		{"devices", func(n *yaml.Node, path string) {
			d.sequence(n, path, func(n *yaml.Node, path string) {
				var dev FleetDevice
				d.mapping(n, path, []field{
					{"name", d.str(&dev.Name)},
					{"backend", d.str(&dev.Backend)},
					{"profile", d.str(&dev.Profile)},
					{"gateway", d.str(&dev.Gateway)},
					{"enrolment", d.str(&dev.Enrolment)},
					{"start", d.duration(&dev.Start)},
				})
				f.Devices = append(f.Devices, dev)
			})
		}},
		{"vehicles", func(n *yaml.Node, path string) {
			d.sequence(n, path, func(n *yaml.Node, path string) {
				var v FleetVehicle
				d.mapping(n, path, []field{
					{"name", d.str(&v.Name)},
					{"pilot", d.str(&v.Pilot)},
				})
				f.Vehicles = append(f.Vehicles, v)
			})
		}},
	})
}

func (d *decoder) fault(n *yaml.Node, path string) Fault {
	var f Fault
	var present []Param
	param := func(p Param, dec func(*yaml.Node, string)) field {
		return field{string(p), func(n *yaml.Node, path string) { present = append(present, p); dec(n, path) }}
	}
	d.mapping(n, path, []field{
		{"at", d.duration(&f.At)},
		{"kind", value(d, &f.Kind, func(v string) (Kind, error) { return Kind(v), nil })},
		{"target", value(d, &f.Target, ParseTarget)},
		{"duration", d.duration(&f.Duration)},
		param(ParamLatency, d.duration(&f.Latency)),
		param(ParamPeriod, d.duration(&f.Period)),
		param(ParamSkew, value(d, &f.Skew, ParseSkew)),
		param(ParamValidity, d.duration(&f.Validity)),
		param(ParamRestart, d.boolean(&f.Restart)),
	})
	// A parameter the kind does not take is an error even when its value
	// is zero (the validator sees only non-zero ones): it says the author
	// meant another kind.
	if spec, ok := f.Kind.Spec(); ok {
		for _, p := range present {
			if !spec.Takes(p) && f.param(p) == "" {
				d.errs.add(d.lines[path+"."+string(p)], path+"."+string(p), "%s takes no %s", f.Kind, p)
			}
		}
	}
	return f
}
