package chaos

import (
	"os"
	"path/filepath"
	"testing"

	"k8s.io/utils/clock"
)

func realClock() clock.PassiveClock { return clock.RealClock{} }

func mustReadFile(t *testing.T, dir, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}
