package config

import (
	"fmt"
	"os"
	"strings"
	"testing"
)

// The README's configuration table is generated from Vars; this keeps the
// two in step. Regenerate with WASMBED_UPDATE_README=1 go test ./harness/config.
func TestREADMEConfigTable(t *testing.T) {
	var b strings.Builder
	b.WriteString("| Variable | Flag | Default | Meaning |\n| --- | --- | --- | --- |\n")
	for _, v := range Vars {
		flag := ""
		if v.Flag != "" {
			flag = "-" + v.Flag
		}
		fmt.Fprintf(&b, "| `%s` | `%s` | `%s` | %s |\n", v.Name, flag, v.Default, v.Help)
	}
	const start, end = "<!-- config-table:start -->\n", "<!-- config-table:end -->"
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	s := string(readme)
	i, j := strings.Index(s, start), strings.Index(s, end)
	if i < 0 || j < i {
		t.Fatal("README.md lacks the config-table markers")
	}
	want := s[:i+len(start)] + b.String() + s[j:]
	if want == s {
		return
	}
	if os.Getenv("WASMBED_UPDATE_README") != "" {
		if err := os.WriteFile("../../README.md", []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Fatal("README.md's configuration table is out of date: run WASMBED_UPDATE_README=1 go test ./harness/config")
}
