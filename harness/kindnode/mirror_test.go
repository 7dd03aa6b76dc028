package kindnode

import (
	"os"
	"path/filepath"
	"testing"
)

func TestMirrorComesFromTheAptConfiguration(t *testing.T) {
	dir := t.TempDir()
	oneLine := filepath.Join(dir, "sources.list")
	deb822 := filepath.Join(dir, "debian.sources")
	os.WriteFile(oneLine, []byte("# deb http://old.example/debian bookworm main\ndeb [arch=amd64] http://one.example/debian-security bookworm-security main\ndeb [signed-by=/k.gpg] http://one.example/debian/ bookworm main\n"), 0o644)
	os.WriteFile(deb822, []byte("Types: deb\nURIs: http://two.example/debian\nSuites: bookworm\n"), 0o644)
	old := aptSources
	defer func() { aptSources = old }()
	t.Setenv(MirrorEnv, "")

	aptSources = func() []string { return []string{oneLine, deb822} }
	if m, err := debianMirror(); err != nil || m != "http://one.example/debian" {
		t.Errorf("one-line sources: got %q, %v", m, err)
	}
	aptSources = func() []string { return []string{filepath.Join(dir, "missing"), deb822} }
	if m, err := debianMirror(); err != nil || m != "http://two.example/debian" {
		t.Errorf("deb822 sources: got %q, %v", m, err)
	}
	aptSources = func() []string { return nil }
	if _, err := debianMirror(); err == nil {
		t.Error("no sources: want an error naming " + MirrorEnv)
	}
	t.Setenv(MirrorEnv, "http://env.example/debian")
	if m, _ := debianMirror(); m != "http://env.example/debian" {
		t.Errorf("%s: got %q", MirrorEnv, m)
	}
}
