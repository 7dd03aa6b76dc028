package testbed

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/controller-runtime/pkg/client"

	wasmbedv1 "github.com/wasmbed/wasmbed/sut/api/v1alpha1"
)

// FleetOptions shape the devices ConnectedDevices starts.
type FleetOptions struct {
	// Prefix names the devices Prefix-00, Prefix-01, …; "dev" if empty.
	Prefix string
	// Labels are set on every Device object once it is Connected, as an
	// operator would label a fleet for an Application's selector.
	Labels map[string]string
	// Timeout bounds the wait for every device to be Connected; 60 s if
	// zero. It is scaled by WASMBED_TIMEOUT_SCALE.
	Timeout time.Duration
}

// ConnectedDevices starts n token-enrolled devices at once, waits until
// every one is Connected, and labels them. It is the "given n connected
// devices" of most scenarios.
func (tb *Testbed) ConnectedDevices(ctx context.Context, n int, o FleetOptions) ([]*Device, error) {
	prefix := o.Prefix
	if prefix == "" {
		prefix = "dev"
	}
	devs := make([]*Device, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			devs[i], errs[i] = tb.NewDevice(ctx, fmt.Sprintf("%s-%02d", prefix, i), DeviceOptions{Token: true})
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	names := make([]string, n)
	for i, d := range devs {
		names[i] = d.Name()
	}
	timeout := o.Timeout
	if timeout == 0 {
		timeout = 60 * time.Second
	}
	if err := tb.WaitConnected(ctx, timeout, names...); err != nil {
		return nil, err
	}
	if o.Labels != nil {
		for _, name := range names {
			if err := tb.label(ctx, name, o.Labels); err != nil {
				return nil, err
			}
		}
	}
	return devs, nil
}

// WaitConnected waits until the named Devices are all Connected, for up
// to timeout scaled by WASMBED_TIMEOUT_SCALE. On timeout the error says
// which are not, and in what phase.
func (tb *Testbed) WaitConnected(ctx context.Context, timeout time.Duration, names ...string) error {
	e := tb.Env
	var behind []string
	var last error
	err := wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, e.Config.Scale(timeout), true, func(ctx context.Context) (bool, error) {
		var l wasmbedv1.DeviceList
		if last = e.Client.List(ctx, &l, client.InNamespace(e.Namespace)); last != nil {
			return false, nil // the API server may be busy: try again
		}
		phase := map[string]wasmbedv1.DevicePhase{}
		for _, d := range l.Items {
			phase[d.Name] = d.Status.Phase
		}
		behind = behind[:0]
		for _, n := range names {
			if p := phase[n]; p != wasmbedv1.DeviceConnected {
				if p == "" {
					p = "no Device"
				}
				behind = append(behind, fmt.Sprintf("%s (%s)", n, p))
			}
		}
		return len(behind) == 0, nil
	})
	if err == nil {
		return nil
	}
	sort.Strings(behind)
	if last != nil {
		return fmt.Errorf("devices not Connected within %s: %w (last list: %v)", e.Config.Scale(timeout), err, last)
	}
	return fmt.Errorf("devices not Connected within %s: %s", e.Config.Scale(timeout), strings.Join(behind, ", "))
}

// label sets labels on a Device, as an operator would.
func (tb *Testbed) label(ctx context.Context, name string, labels map[string]string) error {
	dev := &wasmbedv1.Device{}
	if err := tb.Env.Client.Get(ctx, client.ObjectKey{Namespace: tb.Env.Namespace, Name: name}, dev); err != nil {
		return err
	}
	patch := client.MergeFrom(dev.DeepCopy())
	dev.Labels = labels
	return tb.Env.Client.Patch(ctx, dev, patch)
}
