package vehiclebridge

import (
	"testing"
	"time"

	"github.com/bluenviron/gomavlib/v3/pkg/dialects/common"
)

// PX4 v1.16.0 sends some Commander texts with a trailing tab, and a text
// longer than STATUSTEXT's 50-byte field in chunks sharing an id (issue 18,
// fact 4). The bridge joins the chunks and hands apps the text alone.
func TestTextsAreJoinedAndTrimmed(t *testing.T) {
	full := "Arming denied: Resolve system health failures first\t"
	tests := []struct {
		name   string
		chunks []common.MessageStatustext
		want   []string
	}{
		{
			name: "one chunk with a trailing tab",
			chunks: []common.MessageStatustext{
				{Text: "Takeoff detected\t"},
			},
			want: []string{"Takeoff detected"},
		},
		{
			name: "two chunks, the tab in the second",
			chunks: []common.MessageStatustext{
				{Id: 7, ChunkSeq: 0, Text: full[:50]},
				{Id: 7, ChunkSeq: 1, Text: full[50:]},
			},
			want: []string{"Arming denied: Resolve system health failures first"},
		},
		{
			name: "trailing control characters and spaces",
			chunks: []common.MessageStatustext{
				{Text: "Landing detected \r\n\x00"},
			},
			want: []string{"Landing detected"},
		},
		{
			name: "inner white space is kept",
			chunks: []common.MessageStatustext{
				{Text: "a\tb  c"},
			},
			want: []string{"a\tb  c"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var l vehicleLink
			var got []string
			for i := range tc.chunks {
				if done := l.addTextLocked(&tc.chunks[i], time.Now()); done != nil {
					got = append(got, done.text)
				}
			}
			if len(got) != len(tc.want) {
				t.Fatalf("got texts %q, want %q", got, tc.want)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Errorf("text %d = %q, want %q", i, got[i], tc.want[i])
				}
			}
		})
	}
}
