package attack

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"sync"
	"syscall"
	"time"

	"github.com/wasmbed/wasmbed/sut/protocol"
	"github.com/wasmbed/wasmbed/sut/refusal"
)

// EnrollFlood is an enrolment flood from one source address: complete
// enrolment attempts — a TLS handshake with a fresh key, a CSR, one
// EnrollRequest without a token — as fast as Workers connections can make
// them. The gateway must answer every one, and rate-limit the source.
type EnrollFlood struct {
	// Addr is the gateway's device endpoint; LocalIP the one source.
	Addr, LocalIP string
	// Workers is the number of attempts in flight; 8 if zero.
	Workers int
}

// FloodResult counts a flood's answers.
type FloodResult struct {
	// Reasons counts the refusals by reason code.
	Reasons map[refusal.Reason]int
	// Accepted counts enrolments the gateway granted: none, for a flood
	// without tokens.
	Accepted int
	// Closed counts attempts whose connection the gateway closed before
	// the TLS handshake finished: refused at accept, without a word.
	Closed int
	// Errors counts attempts that failed otherwise (no answer at all).
	Errors int
	// Attempts is the number made.
	Attempts int
	// FirstError is the first of Errors, for reports.
	FirstError error
}

// Run makes n attempts, or as many as it can until ctx ends if n <= 0.
func (f *EnrollFlood) Run(ctx context.Context, n int) FloodResult {
	workers := f.Workers
	if workers <= 0 {
		workers = 8
	}
	res := FloodResult{Reasons: map[refusal.Reason]int{}}
	var mu sync.Mutex
	jobs := make(chan struct{})
	go func() {
		defer close(jobs)
		for i := 0; n <= 0 || i < n; i++ {
			select {
			case jobs <- struct{}{}:
			case <-ctx.Done():
				return
			}
		}
	}()
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range jobs {
				resp, err := f.attempt(ctx)
				mu.Lock()
				res.Attempts++
				switch {
				case err != nil && ctx.Err() != nil:
					res.Attempts-- // cut short by the end of the flood
				case errors.Is(err, errClosedEarly):
					res.Closed++
				case err != nil:
					res.Errors++
					if res.FirstError == nil {
						res.FirstError = err
					}
				case resp.Accepted:
					res.Accepted++
				default:
					res.Reasons[resp.Reason]++
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return res
}

func (f *EnrollFlood) attempt(ctx context.Context) (*protocol.EnrollResponse, error) {
	_, key := NewKey()
	conn, err := DialTLS(ctx, f.Addr, TLSOptions{Certificates: []tls.Certificate{SelfSigned(key, "flood", time.Time{}, time.Time{})}, LocalIP: f.LocalIP})
	if err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET) {
			return nil, fmt.Errorf("%w: %v", errClosedEarly, err)
		}
		return nil, err
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	return Enroll(conn, &protocol.EnrollRequest{CSR: CSR(key, nil), Info: protocol.DeviceInfo{Arch: "x86_64"}})
}

// errClosedEarly: the gateway closed the connection before the handshake.
var errClosedEarly = errors.New("connection closed before the TLS handshake")

// enrolFlood floods from one source until the gateway has rate-limited it
// for a while: twice the burst a per-minute limit allows and then some.
func enrolFlood(ctx context.Context, t *Target) (Outcome, error) {
	src := t.Source()
	f := &EnrollFlood{Addr: t.Addr, LocalIP: src, Workers: 8}
	res := f.Run(ctx, 120)
	limited := res.Reasons[protocol.ReasonRateLimited]
	out := Outcome{Told: protocol.ReasonRateLimited, Refusals: limited, Evidence: []string{"source=" + src + ":"},
		Detail: fmt.Sprintf("%d attempts: answered %v, %d closed before the handshake, %d accepted, %d failed otherwise",
			res.Attempts, res.Reasons, res.Closed, res.Accepted, res.Errors)}
	switch {
	case res.Accepted > 0:
		return out, fmt.Errorf("the flood enrolled %d devices", res.Accepted)
	case res.Errors > 0:
		return out, fmt.Errorf("%d of %d attempts failed without a refusal (first: %v)", res.Errors, res.Attempts, res.FirstError)
	case limited == 0:
		return out, fmt.Errorf("the gateway never rate-limited the flood: %v", res.Reasons)
	case res.Closed == 0:
		return out, fmt.Errorf("the gateway kept handshaking with a source it had rate-limited: %v", res.Reasons)
	}
	return out, nil
}
