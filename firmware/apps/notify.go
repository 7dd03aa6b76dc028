package apps

import "sync"

// notifier calls Options.OnChange from one goroutine, in the order changes
// happen. Apps only append to a queue, so a slow OnChange never stalls an
// app's calls or holds a lock an app needs.
type notifier struct {
	fn     func(AppStatus)
	mu     sync.Mutex
	queue  []AppStatus
	closed bool
	wake   chan struct{}
	done   chan struct{}
}

func newNotifier(fn func(AppStatus)) *notifier {
	n := &notifier{fn: fn, wake: make(chan struct{}, 1), done: make(chan struct{})}
	go n.run()
	return n
}

func (n *notifier) push(s AppStatus) {
	if n.fn == nil {
		return
	}
	n.mu.Lock()
	if n.closed {
		n.mu.Unlock()
		return
	}
	n.queue = append(n.queue, s)
	n.mu.Unlock()
	select {
	case n.wake <- struct{}{}:
	default:
	}
}

func (n *notifier) run() {
	defer close(n.done)
	for range n.wake {
		for {
			n.mu.Lock()
			if len(n.queue) == 0 {
				closed := n.closed
				n.mu.Unlock()
				if closed {
					return
				}
				break
			}
			s := n.queue[0]
			n.queue = n.queue[1:]
			n.mu.Unlock()
			n.fn(s)
		}
	}
}

// close delivers what is queued, then stops.
func (n *notifier) close() {
	n.mu.Lock()
	n.closed = true
	n.mu.Unlock()
	select {
	case n.wake <- struct{}{}:
	default:
	}
	<-n.done
}
