package kind

import (
	"fmt"
	"strings"

	kindlog "sigs.k8s.io/kind/pkg/log"
)

// kindLogger passes kind's status lines to the harness's progress output.
// Verbosity 0 (kind's user-facing steps) is shown; debug levels are not.
type kindLogger struct{ pr Progress }

func (l kindLogger) Warn(m string) {
	// The harness names each cluster's network on purpose (networkEnv);
	// kind's warnings about that say nothing to the reader.
	if strings.Contains(m, networkEnv) || strings.Contains(m, "Here be dragons") {
		return
	}
	l.pr.Printf("kind: warning: %s", m)
}
func (l kindLogger) Warnf(f string, a ...any)             { l.Warn(fmt.Sprintf(f, a...)) }
func (l kindLogger) Error(m string)                       { l.pr.Printf("kind: error: %s", m) }
func (l kindLogger) Errorf(f string, a ...any)            { l.Error(fmt.Sprintf(f, a...)) }
func (l kindLogger) V(v kindlog.Level) kindlog.InfoLogger { return kindInfo{pr: l.pr, on: v == 0} }

type kindInfo struct {
	pr Progress
	on bool
}

func (i kindInfo) Info(m string) {
	if i.on {
		i.pr.Printf("kind: %s", m)
	}
}
func (i kindInfo) Infof(f string, a ...any) { i.Info(fmt.Sprintf(f, a...)) }
func (i kindInfo) Enabled() bool            { return i.on }
