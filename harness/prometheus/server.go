package prometheus

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"k8s.io/client-go/rest"

	"github.com/wasmbed/wasmbed/harness/proc"
	"github.com/wasmbed/wasmbed/harness/workspace"
)

// DefaultBinary is where Debian's prometheus package installs the server.
const DefaultBinary = "/usr/bin/prometheus"

// workDirPrefix names the servers' work directories under the system's
// temporary folder; a killed harness's are swept by the next Start.
const workDirPrefix = "wasmbed-prometheus-"

// Options configure Start.
type Options struct {
	// Name distinguishes concurrent servers (a run id); it becomes part of
	// the work directory's name.
	Name string
	// RulesDir holds the rule files (*.rules.yaml) to load: the
	// repository's sut/config/prometheus if empty.
	RulesDir string
	// APIServer, if set, is scraped as job kube-apiserver with these
	// credentials (client certificate or bearer token).
	APIServer *rest.Config
	// Interval is the scrape and evaluation interval: 1 s if zero.
	Interval time.Duration
	// LogDir receives prometheus.log. The work directory if empty, which
	// Stop removes: give an artifact folder to keep the log.
	LogDir string
	// Binary is the Prometheus server: DefaultBinary, else prometheus on
	// PATH, if empty.
	Binary string
	// StartTimeout bounds the wait for the server to be ready: 60 s if
	// zero.
	StartTimeout time.Duration
}

// Server is a running Prometheus.
type Server struct {
	// URL is the server's base URL, http://127.0.0.1:<port>.
	URL string
	// Dir is the work directory: configuration, rules, targets, data.
	Dir string
	// Targets registers scrape targets (Prometheus reads them from files).
	Targets *Targets
	// Client queries the server.
	Client *Client

	p        *proc.Process
	logPath  string
	stopOnce sync.Once
	stopErr  error
}

// maxPortAttempts bounds the retries when the chosen port is taken.
const maxPortAttempts = 20

// Start runs a Prometheus with the SUT's rules in a new work directory and
// waits until it serves queries. Stop ends it and removes the directory.
func Start(ctx context.Context, opts Options) (_ *Server, err error) {
	bin, err := findBinary(opts.Binary)
	if err != nil {
		return nil, err
	}
	if opts.Interval <= 0 {
		opts.Interval = time.Second
	}
	if opts.StartTimeout <= 0 {
		opts.StartTimeout = 60 * time.Second
	}
	if opts.RulesDir == "" {
		root, err := workspace.Root()
		if err != nil {
			return nil, err
		}
		opts.RulesDir = filepath.Join(root, "sut", "config", "prometheus")
	}
	// Children inherit the ownership token, so a sweep finds a Prometheus
	// whose harness was killed; its work directory is swept here.
	proc.ClaimOwnership()
	dir, _, err := proc.OwnedTempDir(workDirPrefix + slug(opts.Name) + "-")
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			os.RemoveAll(dir)
		}
	}()
	if err := copyRules(opts.RulesDir, filepath.Join(dir, "rules")); err != nil {
		return nil, err
	}
	targets, err := newTargets(filepath.Join(dir, "targets"))
	if err != nil {
		return nil, err
	}
	if err := writeConfig(dir, opts.Interval, opts.APIServer); err != nil {
		return nil, err
	}
	logDir := opts.LogDir
	if logDir == "" {
		logDir = dir
	}
	ctx, cancel := context.WithTimeout(ctx, opts.StartTimeout)
	defer cancel()
	for attempt := 1; ; attempt++ {
		s, inUse, err := launch(ctx, bin, dir, logDir)
		if err == nil {
			s.Targets = targets
			return s, nil
		}
		if !inUse || attempt == maxPortAttempts {
			return nil, err
		}
	}
}

// launch starts Prometheus on a candidate port and waits for it. inUse
// reports that the port was taken, and another may be tried.
func launch(ctx context.Context, bin, dir, logDir string) (_ *Server, inUse bool, _ error) {
	port, err := pickPort()
	if err != nil {
		return nil, false, err
	}
	dataDir := filepath.Join(dir, "data")
	listen := fmt.Sprintf("127.0.0.1:%d", port)
	out := &syncBuffer{}
	p, err := proc.Start(proc.Spec{
		Name: "prometheus",
		Path: bin,
		Args: []string{
			"--config.file=" + filepath.Join(dir, configFile),
			"--storage.tsdb.path=" + dataDir,
			"--web.listen-address=" + listen,
			"--log.level=info",
		},
		Dir:    dir,
		LogDir: logDir,
		Stdout: out,
	})
	if err != nil {
		return nil, false, err
	}
	s := &Server{URL: "http://" + listen, Dir: dir, p: p, logPath: p.LogPath}
	if s.Client, err = NewClient(s.URL); err != nil {
		p.Kill()
		return nil, false, err
	}
	if err := s.waitReady(ctx, dataDir); err != nil {
		p.Kill()
		if strings.Contains(out.String(), "address already in use") {
			return nil, true, fmt.Errorf("prometheus: %s is taken", listen)
		}
		return nil, false, fmt.Errorf("prometheus did not become ready on %s: %w; see %s", listen, err, p.LogPath)
	}
	return s, false, nil
}

// LogPath is the server's log file.
func (s *Server) LogPath() string { return s.logPath }

// Stop ends the server (SIGTERM, then SIGKILL after 10 s) and removes its
// work directory. It is safe to call more than once.
func (s *Server) Stop() error {
	s.stopOnce.Do(func() {
		s.stopErr = s.p.Stop(10 * time.Second)
		if err := os.RemoveAll(s.Dir); err != nil && s.stopErr == nil {
			s.stopErr = err
		}
	})
	return s.stopErr
}

func findBinary(bin string) (string, error) {
	if bin != "" {
		return bin, nil
	}
	if _, err := os.Stat(DefaultBinary); err == nil {
		return DefaultBinary, nil
	}
	if p, err := exec.LookPath("prometheus"); err == nil {
		return p, nil
	}
	return "", errors.New("no Prometheus server: install Debian's prometheus package (make deps), or set Options.Binary")
}

// copyRules copies the rule files into the work directory, so the run
// keeps the rules it evaluated whatever happens to the checkout.
func copyRules(from, to string) error {
	files, err := filepath.Glob(filepath.Join(from, "*.rules.yaml"))
	if err != nil {
		return err
	}
	if len(files) == 0 {
		return fmt.Errorf("no rule files (*.rules.yaml) in %s", from)
	}
	if err := os.MkdirAll(to, 0o755); err != nil {
		return err
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(to, filepath.Base(f)), data, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// slug keeps a name safe for a directory name.
func slug(name string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.' {
			return r
		}
		return '-'
	}, name)
}

// syncBuffer collects the first outputBytes of a process's output, where
// a failure to start shows (the whole log is in its log file).
type syncBuffer struct {
	mu  sync.Mutex
	buf strings.Builder
}

const outputBytes = 64 << 10

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if room := outputBytes - b.buf.Len(); room > 0 {
		b.buf.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
