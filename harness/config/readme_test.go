package config_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/wasmbed/wasmbed/harness/config"
	"github.com/wasmbed/wasmbed/harness/internal/readmesection"
)

// The README's configuration table is generated from config.Settings; this
// keeps the two in step. Regenerate with WASMBED_UPDATE_README=1 go test
// ./harness/config.
func TestREADMEConfigTable(t *testing.T) {
	var b strings.Builder
	b.WriteString("| Variable | Flag | Default | Meaning |\n| --- | --- | --- | --- |\n")
	for _, s := range config.Settings {
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s |\n", s.Var, code("-"+s.Flag, s.Flag != ""), s.ShownDefault(), s.Help)
	}
	readmesection.Check(t, "config-table", b.String(), "./harness/config")
}

// code quotes text as code, or shows a dash where there is none.
func code(text string, present bool) string {
	if !present {
		return "—"
	}
	return "`" + text + "`"
}
