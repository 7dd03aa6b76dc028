package importrules

import (
	"bytes"
	"encoding/json"
	"io"
	"maps"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/wasmbed/wasmbed/harness/workspace"
)

// TestImportRules runs `go list -deps -test` for each rule's root and fails
// for every forbidden package it finds, naming the chain of imports that
// reaches it.
func TestImportRules(t *testing.T) {
	root, err := workspace.Root()
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range Rules {
		t.Run(strings.Trim(r.Root, "./"), func(t *testing.T) {
			graph, roots := listDeps(t, root, r.Root)
			if len(roots) == 0 {
				t.Fatalf("%s matches no package", r.Root)
			}
			for _, pkg := range slices.Sorted(maps.Keys(graph)) {
				rel, ok := strings.CutPrefix(basePath(pkg), workspace.ModulePath+"/")
				if !ok || !r.Violates(rel) {
					continue
				}
				t.Errorf("%s depends on %s: %s\n\t(%s)", r.Root, rel, strings.Join(chain(graph, roots, pkg), " → "), r.Why)
			}
		})
	}
}

// TestRuleMatching: a prefix covers a package and what is below it, never
// a sibling that merely starts with the same letters.
func TestRuleMatching(t *testing.T) {
	r := Rule{Forbidden: []string{"sut"}, Allowed: []string{"sut/module"}}
	for pkg, want := range map[string]bool{
		"sut/gateway":         true,
		"sut/module":          false,
		"sut/module/x":        false,
		"sut/modulecheck":     true,
		"sutra":               false,
		"harness/attack":      false,
		"sut/api/v1alpha1":    true,
		"sut/api/scheme/deep": true,
	} {
		if got := r.Violates(pkg); got != want {
			t.Errorf("Violates(%q) = %v, want %v", pkg, got, want)
		}
	}
}

// listDeps returns the import graph of `go list -deps -test pattern`
// (package → its imports) and the packages the pattern itself names.
func listDeps(t *testing.T, dir, pattern string) (map[string][]string, []string) {
	t.Helper()
	type pkg struct {
		ImportPath string
		Imports    []string
		DepOnly    bool
		ForTest    string
	}
	cmd := exec.Command("go", "list", "-deps", "-test", "-json=ImportPath,Imports,DepOnly,ForTest", pattern)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list -deps -test %s: %v\n%s", pattern, err, stderr.String())
	}
	graph := map[string][]string{}
	var roots []string
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p pkg
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		graph[p.ImportPath] = p.Imports
		if !p.DepOnly {
			roots = append(roots, p.ImportPath)
		}
	}
	return graph, roots
}

// chain returns a shortest import chain from one of roots to target.
func chain(graph map[string][]string, roots []string, target string) []string {
	prev := map[string]string{}
	queue := slices.Clone(roots)
	seen := map[string]bool{}
	for _, r := range roots {
		seen[r] = true
	}
	for len(queue) > 0 {
		cur := queue[0]
		queue = queue[1:]
		if cur == target {
			var path []string
			for p := cur; ; p = prev[p] {
				path = append([]string{short(p)}, path...)
				if _, ok := prev[p]; !ok {
					return path
				}
			}
		}
		for _, next := range graph[cur] {
			if !seen[next] {
				seen[next] = true
				prev[next] = cur
				queue = append(queue, next)
			}
		}
	}
	return []string{short(target)}
}

// basePath drops the " [pkg.test]" suffix go list gives a package
// recompiled for a test.
func basePath(p string) string {
	base, _, _ := strings.Cut(p, " ")
	return base
}

func short(p string) string {
	return strings.ReplaceAll(p, workspace.ModulePath+"/", "")
}
