package plan

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// FieldError is one thing wrong with a plan: where (the line, when the
// plan was parsed, and the field's path, like spec.faults[3].duration) and
// what.
type FieldError struct {
	Line int
	Path string
	Msg  string
}

func (e *FieldError) Error() string {
	var b strings.Builder
	if e.Line > 0 {
		fmt.Fprintf(&b, "line %d: ", e.Line)
	}
	if e.Path != "" {
		b.WriteString(e.Path + ": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Errors is everything wrong with a plan, in line order: a person fixing a
// hand-written plan sees every problem at once, not one per attempt.
type Errors struct {
	// File is the plan's file name, if it was read from one.
	File string
	List []*FieldError
}

func (e *Errors) Error() string {
	lines := make([]string, len(e.List))
	for i, fe := range e.List {
		lines[i] = fe.Error()
		if e.File != "" {
			if fe.Line > 0 {
				lines[i] = fmt.Sprintf("%s:%d: %s", e.File, fe.Line, strings.TrimPrefix(fe.Error(), fmt.Sprintf("line %d: ", fe.Line)))
			} else {
				lines[i] = e.File + ": " + lines[i]
			}
		}
	}
	if len(lines) == 1 {
		return "fault plan: " + lines[0]
	}
	return fmt.Sprintf("fault plan: %d errors:\n  %s", len(lines), strings.Join(lines, "\n  "))
}

// errorList collects FieldErrors.
type errorList []*FieldError

func (l *errorList) add(line int, path, format string, args ...any) {
	*l = append(*l, &FieldError{Line: line, Path: path, Msg: fmt.Sprintf(format, args...)})
}

// err returns the list as an *Errors, sorted by line, or nil.
func (l errorList) err(file string) error {
	if len(l) == 0 {
		return nil
	}
	list := slices.Clone([]*FieldError(l))
	slices.SortStableFunc(list, func(a, b *FieldError) int { return cmp.Compare(a.Line, b.Line) })
	return &Errors{File: file, List: list}
}
