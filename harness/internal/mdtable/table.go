// Package mdtable renders the Markdown tables the README carries between
// generated-section markers (harness/internal/readmesection), so every
// catalogue that documents itself escapes its cells the same way.
package mdtable

import "strings"

// Render returns a Markdown table with the header and one line per row.
// A '|' in a cell is escaped, a newline becomes a space: either would
// otherwise break the table.
func Render(header []string, rows [][]string) string {
	var b strings.Builder
	line := func(cells []string) {
		b.WriteString("|")
		for _, c := range cells {
			b.WriteString(" " + Cell(c) + " |")
		}
		b.WriteString("\n")
	}
	line(header)
	b.WriteString("|" + strings.Repeat(" --- |", len(header)) + "\n")
	for _, r := range rows {
		line(r)
	}
	return b.String()
}

// Cell makes s safe inside a table cell.
func Cell(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "|", `\|`), "\n", " ")
}
