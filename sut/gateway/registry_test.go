package gateway

import (
	"testing"

	"github.com/wasmbed/wasmbed/sut/refusal"
)

// The reconnect race in miniature: the old session's cleanup runs after
// the new session registered, and must leave the new one alone.
func TestRegistryOldCleanupCannotEvictNewSession(t *testing.T) {
	r := newRegistry()
	old := &session{device: "d"}
	if replaced := r.add(old); replaced != nil {
		t.Fatal("first session replaced something")
	}
	fresh := &session{device: "d"}
	if replaced := r.add(fresh); replaced != old {
		t.Fatal("the new session did not report replacing the old one")
	}
	if fresh.gen <= old.gen {
		t.Fatalf("generations must grow: old %d, new %d", old.gen, fresh.gen)
	}
	if r.remove(old) {
		t.Fatal("the old session's cleanup removed the device")
	}
	if r.current("d") != fresh || !r.isCurrent("d", fresh.gen) || r.isCurrent("d", old.gen) {
		t.Fatal("the new session is no longer current")
	}
	if !r.remove(fresh) || r.count() != 0 {
		t.Fatal("the current session's cleanup must remove it")
	}
}

func TestNegotiatePicksHighestCommonVersion(t *testing.T) {
	if v, ok := negotiate([]uint{0, 1, 7}); !ok || v != 1 {
		t.Fatalf("negotiate = %d, %v", v, ok)
	}
	if _, ok := negotiate([]uint{2, 3}); ok {
		t.Fatal("no common version must fail")
	}
}

func TestSourceLimiterIsPerSourceHost(t *testing.T) {
	l := newSourceLimiter(func() int32 { return 6 }) // burst 2
	for i := range 2 {
		if !l.allow("127.0.0.9:1000") {
			t.Fatalf("attempt %d refused within the burst", i)
		}
	}
	if l.allow("127.0.0.9:2000") {
		t.Fatal("a third attempt from the same host, another port, was allowed")
	}
	if !l.allow("127.0.0.10:1000") {
		t.Fatal("another host was limited by the first one's attempts")
	}
}

func TestClassifyHandshake(t *testing.T) {
	cases := map[string]refusal.Reason{
		"tls: client offered only unsupported versions: [303]":     refusal.ReasonTLSVersion,
		"tls: no cipher suite supported by both client and server": refusal.ReasonNoCipherSuite,
		"tls: client didn't provide a certificate":                 refusal.ReasonNoClientCert,
		"tls: invalid signature by the client certificate: x":      refusal.ReasonBadSignature,
		"EOF": refusal.ReasonHandshakeOther,
	}
	for msg, want := range cases {
		if got := classifyHandshake(errString(msg), nil); got != want {
			t.Errorf("%q → %s, want %s", msg, got, want)
		}
	}
	if got := classifyHandshake(errString("x"), refuse(refusal.ReasonCertRevoked, "r")); got != refusal.ReasonCertRevoked {
		t.Errorf("our own refusal → %s", got)
	}
}

type errString string

func (e errString) Error() string { return string(e) }
