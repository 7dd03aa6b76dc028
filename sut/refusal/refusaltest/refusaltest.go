// Package refusaltest holds the checks that keep a contract package's
// reason codes honest: every code it declares is in the list it exports
// (protocol.Reasons, refusal.Reasons, abi.Reasons), no two codes share a
// value, and its specification names every one.
package refusaltest

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/wasmbed/wasmbed/sut/refusal"
)

// CheckListed fails t unless listed holds exactly the Reason constants
// declared in file (a Go source file of the calling package), each once.
func CheckListed(t testing.TB, file string, listed []refusal.Reason) {
	t.Helper()
	declared, err := declaredReasons(file)
	if err != nil {
		t.Fatal(err)
	}
	if len(declared) == 0 {
		t.Fatalf("%s declares no reason codes", file)
	}
	seen := map[refusal.Reason]bool{}
	for _, r := range listed {
		if seen[r] {
			t.Errorf("%q is listed twice, or two codes share its value", r)
		}
		seen[r] = true
	}
	for name, value := range declared {
		if !seen[value] {
			t.Errorf("%s (%q), declared in %s, is missing from the list", name, value, file)
		}
	}
	if len(listed) > len(declared) {
		t.Errorf("the list has %d codes, %s declares %d", len(listed), file, len(declared))
	}
}

// declaredReasons returns the constants of type Reason or refusal.Reason
// declared in file, by name.
func declaredReasons(file string) (map[string]refusal.Reason, error) {
	f, err := parser.ParseFile(token.NewFileSet(), file, nil, 0)
	if err != nil {
		return nil, err
	}
	out := map[string]refusal.Reason{}
	for _, decl := range f.Decls {
		gd, ok := decl.(*ast.GenDecl)
		if !ok || gd.Tok != token.CONST {
			continue
		}
		for _, spec := range gd.Specs {
			vs := spec.(*ast.ValueSpec)
			if !isReasonType(vs.Type) {
				continue
			}
			for i, name := range vs.Names {
				lit, ok := vs.Values[i].(*ast.BasicLit)
				if !ok || lit.Kind != token.STRING {
					continue
				}
				v, err := strconv.Unquote(lit.Value)
				if err != nil {
					return nil, err
				}
				out[name.Name] = refusal.Reason(v)
			}
		}
	}
	return out, nil
}

func isReasonType(e ast.Expr) bool {
	switch t := e.(type) {
	case *ast.Ident:
		return t.Name == "Reason"
	case *ast.SelectorExpr:
		x, ok := t.X.(*ast.Ident)
		return ok && x.Name == "refusal" && t.Sel.Name == "Reason"
	}
	return false
}

// CheckDocumented fails t unless the section of the Markdown file readme
// under heading (a line such as "## Error codes") names every code of
// listed, in backquotes.
func CheckDocumented(t testing.TB, readme, heading string, listed []refusal.Reason) {
	t.Helper()
	data, err := os.ReadFile(readme)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(data), "\n")
	start := slices.Index(lines, heading)
	if start < 0 {
		t.Fatalf("%s has no line %q", readme, heading)
	}
	end := len(lines)
	for i := start + 1; i < len(lines); i++ {
		if strings.HasPrefix(lines[i], "#") && strings.Count(strings.Fields(lines[i])[0], "#") <= strings.Count(strings.Fields(heading)[0], "#") {
			end = i
			break
		}
	}
	section := strings.Join(lines[start:end], "\n")
	for _, r := range listed {
		if !strings.Contains(section, "`"+string(r)+"`") {
			t.Errorf("%s, section %q, does not name `%s`", readme, heading, r)
		}
	}
}
