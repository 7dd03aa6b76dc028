package attack

import (
	"context"
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/util/wait"
)

// poll calls cond every 100 ms until it reports true, or timeout passes.
// Attacks poll the system they attack (a status, a metric) for the effect
// of what they did; they never sleep to wait. An error from cond does not
// end the wait (the effect may not be visible yet), but it is what the
// timeout reports.
func poll(ctx context.Context, timeout time.Duration, cond func(context.Context) (bool, error)) error {
	var last error
	err := wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, timeout, true, func(ctx context.Context) (bool, error) {
		ok, err := cond(ctx)
		if err != nil {
			last = err
		}
		return ok && err == nil, nil
	})
	if err != nil && last != nil {
		return fmt.Errorf("%w (last error: %v)", err, last)
	}
	return err
}
