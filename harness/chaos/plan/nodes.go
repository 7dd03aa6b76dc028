package plan

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	yaml "go.yaml.in/yaml/v3"
)

// decoder walks the YAML nodes into a Plan by hand: that is how every
// error gets its line and its field's path, and how an unknown field is an
// error rather than silently ignored.
type decoder struct {
	errs errorList
	// lines maps each field path seen to its line, so the validator's
	// errors (which know paths, not lines) can say where.
	lines map[string]int
}

// lineOf returns the line of path, or of its nearest parent that was in
// the document (a missing field is reported where it should have been).
func (d *decoder) lineOf(path string) int {
	for path != "" {
		if l, ok := d.lines[path]; ok {
			return l
		}
		i := strings.LastIndexAny(path, ".[")
		if i < 0 {
			break
		}
		path = path[:i]
	}
	return 0
}

// field is one key of a mapping and how to decode its value.
type field struct {
	name   string
	decode func(n *yaml.Node, path string)
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return "an alias"
	}
	if n.Tag == "!!null" {
		return "nothing"
	}
	return fmt.Sprintf("%q", n.Value)
}

// noAlias refuses anchors and aliases: a plan is meant to be read line by
// line, and its canonical form has none.
func (d *decoder) noAlias(n *yaml.Node, path string) bool {
	if n.Kind == yaml.AliasNode || n.Anchor != "" {
		d.errs.add(n.Line, path, "anchors and aliases are not allowed in a plan; write the value out")
		return false
	}
	return true
}

func (d *decoder) mapping(n *yaml.Node, path string, fields []field) {
	if _, seen := d.lines[path]; !seen && path != "" {
		d.lines[path] = n.Line
	}
	if !d.noAlias(n, path) {
		return
	}
	if n.Kind != yaml.MappingNode {
		d.errs.add(n.Line, path, "want a mapping, got %s", describe(n))
		return
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		p := join(path, k.Value)
		if seen[k.Value] {
			d.errs.add(k.Line, p, "given twice")
			continue
		}
		seen[k.Value] = true
		j := -1
		for fi, f := range fields {
			if f.name == k.Value {
				j = fi
			}
		}
		if j < 0 {
			names := make([]string, len(fields))
			for fi, f := range fields {
				names[fi] = f.name
			}
			d.errs.add(k.Line, p, "unknown field %q; known here: %s", k.Value, strings.Join(names, ", "))
			continue
		}
		d.lines[p] = k.Line
		if d.noAlias(v, p) {
			fields[j].decode(v, p)
		}
	}
}

func (d *decoder) sequence(n *yaml.Node, path string, each func(n *yaml.Node, path string)) {
	if n.Kind != yaml.SequenceNode {
		d.errs.add(n.Line, path, "want a list, got %s", describe(n))
		return
	}
	for i, item := range n.Content {
		p := fmt.Sprintf("%s[%d]", path, i)
		d.lines[p] = item.Line
		if d.noAlias(item, p) {
			each(item, p)
		}
	}
}

func (d *decoder) scalar(n *yaml.Node, path string) (string, bool) {
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		d.errs.add(n.Line, path, "want a value, got %s", describe(n))
		return "", false
	}
	return n.Value, true
}

// value decodes a scalar into *dst with parse, whose error says what is
// wanted.
func value[T any](d *decoder, dst *T, parse func(string) (T, error)) func(*yaml.Node, string) {
	return func(n *yaml.Node, path string) {
		v, ok := d.scalar(n, path)
		if !ok {
			return
		}
		x, err := parse(v)
		if err != nil {
			d.errs.add(n.Line, path, "%v", err)
			return
		}
		*dst = x
	}
}

func (d *decoder) str(dst *string) func(*yaml.Node, string) {
	return value(d, dst, func(v string) (string, error) { return v, nil })
}

func (d *decoder) duration(dst *time.Duration) func(*yaml.Node, string) {
	return value(d, dst, parseDuration)
}

func (d *decoder) integer(dst *int) func(*yaml.Node, string) {
	return value(d, dst, func(v string) (int, error) {
		i, err := strconv.Atoi(v)
		if err != nil {
			return 0, fmt.Errorf("want a whole number, got %q", v)
		}
		return i, nil
	})
}

func (d *decoder) boolean(dst *bool) func(*yaml.Node, string) {
	return value(d, dst, func(v string) (bool, error) {
		switch v {
		case "true":
			return true, nil
		case "false":
			return false, nil
		}
		return false, fmt.Errorf("want true or false, got %q", v)
	})
}
