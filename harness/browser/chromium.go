package browser

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/wasmbed/wasmbed/harness/proc"
)

// ErrNoChromium is returned when no Chromium is installed.
var ErrNoChromium = errors.New("browser: no chromium found: install Debian's chromium (make deps does)")

// Chromium is a headless browser binary.
type Chromium struct {
	Path string
	// Width and Height are the window's size in CSS pixels. Default
	// 1280x2000.
	Width, Height int
	// Budget is how long the page's scripts may run before the DOM is
	// dumped or the screenshot taken (Chromium's virtual time). Default
	// 3 s.
	Budget time.Duration
}

// Find looks for chromium on the PATH.
func Find() (*Chromium, error) {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return &Chromium{Path: p}, nil
		}
	}
	return nil, ErrNoChromium
}

// DumpDOM loads url and returns the serialised DOM once its scripts ran.
func (c *Chromium) DumpDOM(ctx context.Context, url string) (string, error) {
	out, err := c.run(ctx, "dump-dom", "--dump-dom", url)
	if err != nil {
		return "", err
	}
	// Chromium's own complaints (no D-Bus in a container) share the
	// output: the DOM is what lies between <html and </html>.
	start := strings.Index(out, "<html")
	end := strings.LastIndex(out, "</html>")
	if start < 0 || end < start {
		return "", fmt.Errorf("browser: chromium printed no DOM for %s:\n%s", url, tail(out))
	}
	return out[start : end+len("</html>")], nil
}

// Screenshot loads url and writes a PNG of the window to png.
func (c *Chromium) Screenshot(ctx context.Context, url, png string) error {
	abs, err := filepath.Abs(png)
	if err != nil {
		return err
	}
	_ = os.Remove(abs)
	out, err := c.run(ctx, "screenshot", "--screenshot="+abs, url)
	if err != nil {
		return err
	}
	if _, err := os.Stat(abs); err != nil {
		return fmt.Errorf("browser: chromium wrote no screenshot of %s:\n%s", url, tail(out))
	}
	return nil
}

func (c *Chromium) run(ctx context.Context, what string, args ...string) (string, error) {
	w, h, budget := c.Width, c.Height, c.Budget
	if w == 0 {
		w, h = 1280, 2000
	}
	if budget == 0 {
		budget = 3 * time.Second
	}
	profile, err := os.MkdirTemp("", "wasmbed-chromium-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(profile)
	full := append([]string{
		"--headless", "--disable-gpu", "--no-first-run", "--no-default-browser-check",
		// Root in a container has no user namespace to sandbox with.
		"--no-sandbox",
		"--user-data-dir=" + profile,
		// Nothing but the page: no updates, no metrics, no prefetch.
		"--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-extensions",
		"--hide-scrollbars", "--force-device-scale-factor=1",
		"--window-size=" + strconv.Itoa(w) + "," + strconv.Itoa(h),
		"--virtual-time-budget=" + strconv.FormatInt(budget.Milliseconds(), 10),
	}, args...)
	var out bytes.Buffer
	p, err := proc.Start(proc.Spec{Name: "chromium-" + what, Path: c.Path, Args: full, LogDir: profile, Stdout: &out,
		Env: []string{"HOME=" + profile}})
	if err != nil {
		return "", err
	}
	// The browser's helpers (zygote, GPU, renderer) share its process
	// group: end them all, also when the browser itself has exited.
	defer func() {
		p.Kill()
		_ = syscall.Kill(-p.PID(), syscall.SIGKILL)
	}()
	if err := p.Wait(ctx); err != nil {
		p.Kill() // its output is complete only once it has exited
		return out.String(), fmt.Errorf("browser: chromium %s: %w\n%s", what, err, tail(out.String()))
	}
	return out.String(), nil
}

func tail(s string) string {
	if len(s) > 2000 {
		return "…" + s[len(s)-2000:]
	}
	return s
}
