package proc

import (
	"os"
	"strings"
	"testing"
)

func TestOwnerTokenTellsLiveFromDead(t *testing.T) {
	self := OwnerToken(os.Getpid())
	if !OwnerAlive(self) {
		t.Fatalf("this process (%s) looks dead", self)
	}
	if OwnerAlive("999999999.1") {
		t.Fatal("a PID that does not exist looks alive")
	}
	pid, st, _ := strings.Cut(self, ".")
	if OwnerAlive(pid + "." + st + "1") {
		t.Fatal("a reused PID with another start time looks alive")
	}
}
