package plan

import (
	"strings"

	"github.com/wasmbed/wasmbed/harness/internal/mdtable"
)

// KindTable renders the catalogue as the Markdown table README.md carries
// between its chaos-kinds markers; a test keeps the two in step.
func KindTable() string {
	var rows [][]string
	for _, k := range kinds {
		target := targetTypes(k.Targets)
		switch {
		case k.InContainer:
			target += " in a container"
		case k.Backends != nil:
			target = strings.Join(k.Backends, ", ") + " " + target
		}
		var ps []string
		for _, p := range k.Required {
			ps = append(ps, "`"+string(p)+"`")
		}
		for _, p := range k.Optional {
			ps = append(ps, "`"+string(p)+"` (optional)")
		}
		rows = append(rows, []string{"`" + string(k.Kind) + "`", target, windowText[k.Window], strings.Join(ps, ", "), k.Does, k.Undo})
	}
	return mdtable.Render([]string{"Kind", "Target", "Window", "Parameters", "Injects", "Heals"}, rows)
}

var windowText = map[Window]string{
	WindowRequired: "required",
	WindowOptional: "optional (downtime)",
	WindowNone:     "none (instant)",
}
