package linkfault

import "github.com/Shopify/toxiproxy/v2/toxics"

// halfOpenToxic drops every byte and, unlike toxiproxy's timeout toxic,
// also swallows the end of the stream: when one side closes, the other
// never hears of it. That is a true half-open link — a router that lost
// its state, a peer that lost power — which only a heartbeat timeout can
// detect.
type halfOpenToxic struct{}

func (halfOpenToxic) Pipe(stub *toxics.ToxicStub) {
	for {
		select {
		case <-stub.Interrupt:
			return
		case c := <-stub.Input:
			if c == nil {
				// The sender closed; keep the receiver's side open until the
				// toxic is removed or the link torn down.
				<-stub.Interrupt
				return
			}
		}
	}
}

func init() {
	toxics.Register("wasmbed_halfopen", new(halfOpenToxic))
}
