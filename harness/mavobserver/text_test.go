package mavobserver

import (
	"strings"
	"testing"
	"time"

	"github.com/bluenviron/gomavlib/v3/pkg/dialects/common"
)

func TestStatusTextReassembly(t *testing.T) {
	o := &Observer{cfg: Config{MaxStatusTexts: 2}, chunks: map[[2]uint16]chunked{}}
	v := &Vehicle{SystemID: 1}
	now := time.Now()
	fifty := strings.Repeat("x", 50)
	o.addText(v, &common.MessageStatustext{Severity: 2, Text: fifty, Id: 7}, now)
	o.addText(v, &common.MessageStatustext{Severity: 2, Text: "tail", Id: 7, ChunkSeq: 1}, now)
	if len(v.StatusTexts) != 1 || v.StatusTexts[0].Text != fifty+"tail" || v.StatusTexts[0].Severity != 2 {
		t.Fatalf("two chunks gave %+v", v.StatusTexts)
	}
	// A text of exactly 50 characters has no end marker: the next text
	// completes it.
	o.addText(v, &common.MessageStatustext{Severity: 6, Text: fifty, Id: 8}, now)
	if v.TextCount != 1 {
		t.Fatal("a 50-character chunk was completed early")
	}
	o.addText(v, &common.MessageStatustext{Severity: 6, Text: "next", Id: 9}, now)
	if v.TextCount != 3 || v.StatusTexts[0].Text != fifty || v.StatusTexts[1].Text != "next" {
		t.Fatalf("texts %+v", v.StatusTexts)
	}
	// Only MaxStatusTexts are kept; Seq keeps counting.
	if len(v.StatusTexts) != 2 || v.StatusTexts[1].Seq != 3 {
		t.Errorf("kept %+v", v.StatusTexts)
	}
	if _, ok := v.TextAfter("next", 3); ok {
		t.Error("TextAfter returned an old text")
	}
}
