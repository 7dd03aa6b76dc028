package proc

import (
	"os"
	"path/filepath"
	"strings"
)

// OwnerFile, in a temporary directory the harness made, holds its owner's
// token (OwnerToken).
const OwnerFile = "owner"

// OwnedTempDir creates a temporary directory named prefix* and records this
// process as its owner, after removing the directories of the same prefix
// whose owner has exited (a harness killed before its cleanup). It returns
// the new directory and the ones it removed.
func OwnedTempDir(prefix string) (string, []string, error) {
	swept := SweepOwnedDirs(prefix)
	dir, err := os.MkdirTemp("", prefix)
	if err != nil {
		return "", swept, err
	}
	if err := os.WriteFile(filepath.Join(dir, OwnerFile), []byte(OwnerToken(os.Getpid())+"\n"), 0o644); err != nil {
		os.RemoveAll(dir)
		return "", swept, err
	}
	return dir, swept, nil
}

// SweepOwnedDirs removes the temporary directories named prefix* whose
// owner process is gone, and returns them. Directories without an owner
// file (being created, or not the harness's) are left alone.
func SweepOwnedDirs(prefix string) []string {
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), prefix+"*"))
	var swept []string
	for _, dir := range dirs {
		data, err := os.ReadFile(filepath.Join(dir, OwnerFile))
		if err != nil {
			continue
		}
		if OwnerAlive(strings.TrimSpace(string(data))) {
			continue
		}
		if os.RemoveAll(dir) == nil {
			swept = append(swept, dir)
		}
	}
	return swept
}
