package mdtable

import "testing"

func TestRender(t *testing.T) {
	got := Render([]string{"A", "B"}, [][]string{{"x | y", "two\nlines"}, {"", "`code`"}})
	want := "| A | B |\n| --- | --- |\n| x \\| y | two lines |\n|  | `code` |\n"
	if got != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
}
