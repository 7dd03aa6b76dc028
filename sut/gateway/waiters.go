package gateway

import (
	"strings"
	"sync"

	"k8s.io/apimachinery/pkg/api/meta"

	wasmbedv1 "github.com/wasmbed/wasmbed/sut/api/v1alpha1"
)

// enrollWaiters lets an enrolment wait for the controller's verdict on the
// exact certificate it proposed, delivered by the Device informer.
type enrollWaiters struct {
	mu      sync.Mutex
	waiters map[string][]*waiter
}

type waiter struct {
	serial string
	ch     chan verdict
}

type verdict struct {
	approved bool
	message  string
}

func newEnrollWaiters() *enrollWaiters {
	return &enrollWaiters{waiters: map[string][]*waiter{}}
}

func (e *enrollWaiters) register(device, serial string) *waiter {
	w := &waiter{serial: serial, ch: make(chan verdict, 1)}
	e.mu.Lock()
	e.waiters[device] = append(e.waiters[device], w)
	e.mu.Unlock()
	return w
}

func (e *enrollWaiters) unregister(device string, w *waiter) {
	e.mu.Lock()
	defer e.mu.Unlock()
	list := e.waiters[device]
	for i, x := range list {
		if x == w {
			e.waiters[device] = append(list[:i], list[i+1:]...)
			break
		}
	}
	if len(e.waiters[device]) == 0 {
		delete(e.waiters, device)
	}
}

// observe is called for every Device the informer delivers.
func (e *enrollWaiters) observe(d *wasmbedv1.Device) {
	e.mu.Lock()
	list := e.waiters[d.Name]
	e.mu.Unlock()
	if len(list) == 0 || d.Status.Certificate == nil {
		return
	}
	var v *verdict
	cond := meta.FindStatusCondition(d.Status.Conditions, wasmbedv1.ConditionEnrolled)
	switch {
	case d.Status.Phase == wasmbedv1.DeviceEnrolled:
		v = &verdict{approved: true}
	case cond != nil && cond.Reason == wasmbedv1.ReasonDenied && d.Status.Phase == wasmbedv1.DeviceEnrolling &&
		strings.Contains(cond.Message, d.Status.Certificate.SerialNumber):
		// The controller names the certificate it denied, so an old denial
		// does not answer a new attempt.
		v = &verdict{approved: false, message: cond.Message}
	}
	if v == nil {
		return
	}
	for _, w := range list {
		if w.serial == d.Status.Certificate.SerialNumber {
			select {
			case w.ch <- *v:
			default:
			}
		}
	}
}
