package scenarios

import "os"

// readFile returns a file's content, or "" if it cannot be read yet.
func readFile(path string) string {
	b, _ := os.ReadFile(path)
	return string(b)
}
