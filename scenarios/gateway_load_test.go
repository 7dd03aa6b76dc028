package scenarios

import (
	"context"
	"errors"
	"fmt"
	"time"

	. "github.com/onsi/gomega"

	"github.com/wasmbed/wasmbed/harness/sutproc"
)

// gatewayLoad is what a leak would raise in the gateway process: its
// goroutines and open file descriptors, from its own /metrics.
type gatewayLoad struct {
	Goroutines, FDs float64
}

func (l gatewayLoad) String() string {
	return fmt.Sprintf("%.0f goroutines, %.0f open file descriptors", l.Goroutines, l.FDs)
}

func readLoad(ctx context.Context, gw *sutproc.Gateway) (gatewayLoad, error) {
	fams, err := gw.Metrics(ctx)
	if err != nil {
		return gatewayLoad{}, err
	}
	g, gerr := sutproc.Sum(fams, "go_goroutines", nil)
	f, ferr := sutproc.Sum(fams, "process_open_fds", nil)
	return gatewayLoad{Goroutines: g, FDs: f}, errors.Join(gerr, ferr)
}

// settledLoad polls the gateway's load until two reads 200 ms apart agree
// (the previous attack's connections have wound down), for at most 10 s
// (scaled), and returns the last read. A load that does not settle in
// that time is returned as it is, not failed: it is the baseline the leak
// check compares with, with leakSlack to spare.
func settledLoad(ctx context.Context, gw *sutproc.Gateway) gatewayLoad {
	var prev, cur gatewayLoad
	settled := func(ctx context.Context) bool {
		l, err := readLoad(ctx, gw)
		if err != nil {
			return false
		}
		prev, cur = cur, l
		return cur == prev
	}
	// A Gomega whose failures only end the wait: settling is best effort.
	lenient := NewGomega(func(string, ...int) {})
	lenient.Eventually(ctx, settled).WithTimeout(scaled(10 * time.Second)).WithPolling(200 * time.Millisecond).Should(BeTrue())
	return cur
}
