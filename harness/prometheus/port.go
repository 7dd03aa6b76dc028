package prometheus

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/util/wait"
)

// pickPort is candidatePort; a test replaces it to hand Start a taken port.
var pickPort = candidatePort

// candidatePort picks a loopback port for Prometheus to bind. Prometheus
// binds the address it is given, so the port cannot come from the kernel
// (port 0), and finding a free one by listening and closing races every
// other process. Instead the port is drawn at random from below the
// kernel's ephemeral range, which the kernel never hands out on its own
// (not for port 0, not for outgoing connections): only a process that
// names it can hold it. Start retries with another draw if Prometheus
// reports the address in use, and waitReady makes sure that what answers
// on the port is this server.
func candidatePort() (int, error) {
	lo := 32768 // Linux's default start of the ephemeral range
	if data, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range"); err == nil {
		if f := strings.Fields(string(data)); len(f) == 2 {
			if v, err := strconv.Atoi(f[0]); err == nil {
				lo = v
			}
		}
	}
	const floor = 10000
	if lo <= floor+100 {
		return 0, fmt.Errorf("the ephemeral port range starts at %d: no room below it for Prometheus's port", lo)
	}
	return floor + rand.IntN(lo-floor), nil
}

// waitReady waits until this server answers on its port: its reported
// storage path must be the one it was started with (another process may
// hold the port), and /-/ready must say it serves.
func (s *Server) waitReady(ctx context.Context, dataDir string) error {
	return wait.PollUntilContextCancel(ctx, 100*time.Millisecond, true, func(ctx context.Context) (bool, error) {
		if s.p.Exited() {
			return false, fmt.Errorf("prometheus exited: %v", s.p.Err())
		}
		// Whatever holds the port may accept and never answer: each probe
		// gets a second, so an exit is noticed.
		ctx, cancel := context.WithTimeout(ctx, time.Second)
		defer cancel()
		flags, err := s.Client.api.Flags(ctx)
		if err != nil || flags["storage.tsdb.path"] != dataDir {
			return false, nil // not up yet, or not ours
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.URL+"/-/ready", nil)
		if err != nil {
			return false, err
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return false, nil
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK, nil
	})
}
