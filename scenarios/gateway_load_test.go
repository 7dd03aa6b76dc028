package scenarios

import (
	"context"
	"fmt"
	"time"

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
	return gatewayLoad{Goroutines: sutproc.Sum(fams, "go_goroutines", nil), FDs: sutproc.Sum(fams, "process_open_fds", nil)}, nil
}

// settledLoad polls the gateway's load until two reads 200 ms apart agree
// (the previous attack's connections have wound down), for at most 10 s,
// and returns the last read.
func settledLoad(ctx context.Context, gw *sutproc.Gateway) gatewayLoad {
	var prev gatewayLoad
	deadline := time.Now().Add(10 * time.Second)
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	for {
		cur, err := readLoad(ctx, gw)
		if err == nil && cur == prev || time.Now().After(deadline) {
			return cur
		}
		prev = cur
		select {
		case <-ctx.Done():
			return cur
		case <-tick.C:
		}
	}
}
