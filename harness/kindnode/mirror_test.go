package kindnode

import (
	"strings"
	"testing"

	"github.com/wasmbed/wasmbed/harness/aptsources"
)

// TestMirrorOverride: WASMBED_DEBIAN_MIRROR, declared in harness/config,
// reaches debootstrap in place of the machine's apt sources (whose
// parsing harness/aptsources tests).
func TestMirrorOverride(t *testing.T) {
	t.Setenv(aptsources.MirrorEnv, "http://env.example/debian/")
	if m, err := debianMirror(); err != nil || m != "http://env.example/debian" {
		t.Fatalf("with %s set: %q, %v", aptsources.MirrorEnv, m, err)
	}
	t.Setenv(aptsources.MirrorEnv, "")
	m, err := debianMirror()
	if err != nil && !strings.Contains(err.Error(), aptsources.MirrorEnv) {
		t.Fatalf("without a mirror, the error must say to set %s: %v", aptsources.MirrorEnv, err)
	}
	if err == nil && !strings.HasPrefix(m, "http") {
		t.Fatalf("the machine's mirror for %s is %q", Suite, m)
	}
}
