package attack

import (
	"crypto/tls"
	"io"
	"net"
	"strings"
	"testing"
	"time"
)

// serverVerdict runs a TLS 1.3-only crypto/tls server (as the gateway
// configures one) against a raw ClientHello and returns the server's
// handshake error and what the client read back.
func serverVerdict(t *testing.T, hello []byte) (error, []byte) {
	t.Helper()
	_, key := NewKey()
	cert := SelfSigned(key, "server", time.Time{}, time.Time{})
	client, server := net.Pipe()
	defer client.Close()
	errc := make(chan error, 1)
	go func() {
		s := tls.Server(server, &tls.Config{MinVersion: tls.VersionTLS13, Certificates: []tls.Certificate{cert}, ClientAuth: tls.RequireAnyClientCert})
		_ = server.SetDeadline(time.Now().Add(500 * time.Millisecond))
		errc <- s.Handshake()
		server.Close()
	}()
	go func() { _, _ = client.Write(hello) }()
	_ = client.SetReadDeadline(time.Now().Add(2 * time.Second))
	got, _ := io.ReadAll(io.LimitReader(client, 64))
	return <-errc, got
}

func TestWeakSuitesClientHelloIsRefused(t *testing.T) {
	err, got := serverVerdict(t, ClientHello(WeakSuites))
	if err == nil || !strings.Contains(err.Error(), "no cipher suite") {
		t.Fatalf("server handshake error %v, want no cipher suite", err)
	}
	if AlertDescription(got) != 40 {
		t.Fatalf("client read %x, want a handshake_failure alert", got)
	}
}

func TestStrongSuitesClientHelloGetsPastSuiteSelection(t *testing.T) {
	err, got := serverVerdict(t, ClientHello(StrongSuites))
	if err != nil && strings.Contains(err.Error(), "no cipher suite") {
		t.Fatalf("a TLS 1.3 suite was refused: %v", err)
	}
	if len(got) == 0 || got[0] != 0x16 {
		t.Fatalf("client read %x, want the server's handshake flight", got)
	}
}
