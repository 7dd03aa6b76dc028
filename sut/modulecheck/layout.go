package modulecheck

import (
	"errors"
	"fmt"
)

// Layout is what a device needs to know about a module that wazero's
// CompiledModule does not tell: whether the module defines a memory even
// if it does not export it, how large it starts, and whether it has a
// start function (which runs during instantiation).
type Layout struct {
	HasMemory bool
	MinPages  uint32
	HasStart  bool
	// TableOrGlobalImports names imported tables and globals, e.g.
	// "global env.g": CompiledModule lists only functions and memories.
	TableOrGlobalImports []string
}

// WebAssembly binary section ids and import kinds.
const (
	sectionImport = 2
	sectionMemory = 5
	sectionStart  = 8

	importFunc   = 0
	importTable  = 1
	importMemory = 2
	importGlobal = 3
)

// Inspect walks the sections of a module that wazero has already decoded
// (compiled), so it only needs to be safe, not to validate.
func Inspect(b []byte) (Layout, error) {
	var l Layout
	if len(b) < 8 {
		return l, errors.New("module shorter than its header")
	}
	r := reader{b: b, off: 8}
	for r.off < len(r.b) {
		id, err := r.byte()
		if err != nil {
			return l, err
		}
		size, err := r.u32()
		if err != nil {
			return l, err
		}
		end := r.off + int(size)
		if end > len(r.b) || end < r.off {
			return l, fmt.Errorf("section %d overruns the module", id)
		}
		switch id {
		case sectionImport:
			sec := reader{b: r.b[:end], off: r.off}
			if l.TableOrGlobalImports, err = sec.tableAndGlobalImports(); err != nil {
				return l, err
			}
		case sectionMemory:
			sec := reader{b: r.b[:end], off: r.off}
			count, err := sec.u32()
			if err != nil {
				return l, err
			}
			if count > 0 {
				if _, err := sec.byte(); err != nil { // limits flags
					return l, err
				}
				if l.MinPages, err = sec.u32(); err != nil {
					return l, err
				}
				l.HasMemory = true
			}
		case sectionStart:
			l.HasStart = true
		}
		r.off = end
	}
	return l, nil
}

// tableAndGlobalImports reads an import section.
func (r *reader) tableAndGlobalImports() ([]string, error) {
	count, err := r.u32()
	if err != nil {
		return nil, err
	}
	var out []string
	for i := uint32(0); i < count; i++ {
		mod, err := r.name()
		if err != nil {
			return nil, err
		}
		field, err := r.name()
		if err != nil {
			return nil, err
		}
		kind, err := r.byte()
		if err != nil {
			return nil, err
		}
		switch kind {
		case importFunc:
			_, err = r.u32() // type index
		case importTable:
			if _, err = r.byte(); err == nil { // element type
				err = r.limits()
			}
			out = append(out, "table "+mod+"."+field)
		case importMemory:
			err = r.limits()
		case importGlobal:
			if _, err = r.byte(); err == nil { // value type
				_, err = r.byte() // mutability
			}
			out = append(out, "global "+mod+"."+field)
		default:
			return nil, fmt.Errorf("unknown import kind %d", kind)
		}
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (r *reader) name() (string, error) {
	n, err := r.u32()
	if err != nil {
		return "", err
	}
	if int(n) > len(r.b)-r.off {
		return "", errors.New("name overruns its section")
	}
	s := string(r.b[r.off : r.off+int(n)])
	r.off += int(n)
	return s, nil
}

// limits skips a limits structure: flags, min and, if flagged, max.
func (r *reader) limits() error {
	flags, err := r.byte()
	if err != nil {
		return err
	}
	if _, err := r.u32(); err != nil {
		return err
	}
	if flags&1 != 0 {
		_, err = r.u32()
	}
	return err
}

type reader struct {
	b   []byte
	off int
}

func (r *reader) byte() (byte, error) {
	if r.off >= len(r.b) {
		return 0, errors.New("unexpected end of module")
	}
	c := r.b[r.off]
	r.off++
	return c, nil
}

// u32 reads an unsigned LEB128 of at most 5 bytes.
func (r *reader) u32() (uint32, error) {
	var v uint32
	for shift := 0; shift < 35; shift += 7 {
		c, err := r.byte()
		if err != nil {
			return 0, err
		}
		v |= uint32(c&0x7f) << shift
		if c&0x80 == 0 {
			return v, nil
		}
	}
	return 0, errors.New("LEB128 too long")
}
