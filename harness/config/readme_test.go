package config

import (
	"fmt"
	"strings"
	"testing"

	"github.com/wasmbed/wasmbed/harness/internal/readmesection"
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
	readmesection.Check(t, "config-table", b.String(), "./harness/config")
}
