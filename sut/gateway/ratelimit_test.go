package gateway

import "testing"

func TestSourceLimiterExhaustion(t *testing.T) {
	l := newSourceLimiter(func() int32 { return 60 }) // a burst of 20
	if l.exhausted("127.0.0.9:1000") {
		t.Fatal("a source never seen is exhausted")
	}
	for i := range 20 {
		if !l.allow("127.0.0.9:1000") {
			t.Fatalf("attempt %d of a 20-attempt burst refused", i+1)
		}
	}
	if l.allow("127.0.0.9:2000") {
		t.Fatal("the 21st attempt in a burst of 20 was allowed (from another port of the same host)")
	}
	if !l.exhausted("127.0.0.9:3000") {
		t.Fatal("a rate-limited host is not exhausted")
	}
	if l.exhausted("127.0.0.10:1000") || !l.allow("127.0.0.10:1000") {
		t.Fatal("another host pays for the first one's flood")
	}
}
