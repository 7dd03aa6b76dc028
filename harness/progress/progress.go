// Package progress prints human-readable progress for long steps (builds,
// boots) so a cold run never looks hung.
package progress

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"
)

// Printer writes timestamped progress lines with a component prefix.
type Printer struct {
	mu     sync.Mutex
	w      io.Writer
	prefix string
}

// New returns a Printer writing to w.
func New(w io.Writer, prefix string) *Printer { return &Printer{w: w, prefix: prefix} }

// Stderr returns a Printer on standard error, which Ginkgo does not buffer
// in serial runs, so the user sees builds as they happen.
func Stderr(prefix string) *Printer { return New(os.Stderr, prefix) }

// Printf writes one line.
func (p *Printer) Printf(format string, args ...any) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintf(p.w, "%s [%s] %s\n", time.Now().Format("15:04:05"), p.prefix, fmt.Sprintf(format, args...))
}
