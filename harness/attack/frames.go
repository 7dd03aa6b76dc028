package attack

import (
	"context"
	"crypto/tls"
	"encoding/binary"
	"fmt"
	"time"

	"github.com/wasmbed/wasmbed/fixtures/fuzz"
	"github.com/wasmbed/wasmbed/sut/protocol"
	"github.com/wasmbed/wasmbed/sut/refusal"
)

// The frame attacks speak over a bootstrap connection: a TLS session with
// a self-signed certificate, which any attacker can open, so the frame
// decoder is the first thing they reach.

// bootstrap opens a TLS connection presenting a fresh self-signed
// certificate from src.
func bootstrap(ctx context.Context, t *Target, src string) (*tls.Conn, error) {
	_, key := NewKey()
	return DialTLS(ctx, t.Addr, TLSOptions{Certificates: []tls.Certificate{SelfSigned(key, "attacker", time.Time{}, time.Time{})}, LocalIP: src})
}

// frameRefusal writes b on a fresh bootstrap connection from src and
// expects an Error with code want.
func frameRefusal(ctx context.Context, t *Target, src string, b []byte, want refusal.Reason) (Reply, error) {
	conn, err := bootstrap(ctx, t, src)
	if err != nil {
		return Reply{}, err
	}
	defer conn.Close()
	_ = conn.SetWriteDeadline(time.Now().Add(5 * time.Second))
	if _, err := conn.Write(b); err != nil {
		return Reply{}, err
	}
	r := ReadReply(conn, 10*time.Second)
	if r.Code() != want {
		return r, fmt.Errorf("answered %s, want an Error with %s", r, want)
	}
	return r, nil
}

// replaySeeds sends every committed message-corpus seed that must be
// refused with reason, each as the first frame of its own connection.
func replaySeeds(ctx context.Context, t *Target, reason refusal.Reason) (Outcome, error) {
	seeds, err := fuzz.Seeds(fuzz.Message)
	if err != nil {
		return Outcome{}, err
	}
	src := t.Source()
	out := Outcome{Told: reason, Evidence: []string{"source=" + src + ":"}}
	for _, s := range seeds {
		if s.Refusal != reason {
			continue
		}
		if _, err := frameRefusal(ctx, t, src, protocol.AppendFrame(nil, s.Data), reason); err != nil {
			return out, fmt.Errorf("seed %s: %w", s.Name, err)
		}
		out.Refusals++
	}
	if out.Refusals == 0 {
		return out, fmt.Errorf("the message corpus has no seed refused with %s", reason)
	}
	out.Detail = fmt.Sprintf("%d seeds of fixtures/fuzz/message refused", out.Refusals)
	return out, nil
}

func frameMalformed(ctx context.Context, t *Target) (Outcome, error) {
	return replaySeeds(ctx, t, protocol.ReasonMalformed)
}

func frameUnknownType(ctx context.Context, t *Target) (Outcome, error) {
	return replaySeeds(ctx, t, protocol.ReasonUnknownMessage)
}

func frameUnknownVersion(ctx context.Context, t *Target) (Outcome, error) {
	return replaySeeds(ctx, t, protocol.ReasonUnsupportedVersion)
}

// frame4GiB sends nothing but a length header of 4 GiB - 1: the gateway
// must refuse it from the four bytes alone, before it allocates or waits
// for a payload.
func frame4GiB(ctx context.Context, t *Target) (Outcome, error) {
	src := t.Source()
	start := time.Now()
	r, err := frameRefusal(ctx, t, src, binary.BigEndian.AppendUint32(nil, 0xffffffff), protocol.ReasonFrameTooLarge)
	took := time.Since(start)
	out := Outcome{Told: r.Code(), Refusals: 1, Evidence: []string{"source=" + src + ":"}, Detail: fmt.Sprintf("refused %s after the 4-byte header", took.Round(time.Millisecond))}
	return out, err
}

// frameTruncated announces 100 bytes, sends 10, and closes its side.
func frameTruncated(ctx context.Context, t *Target) (Outcome, error) {
	src := t.Source()
	conn, err := bootstrap(ctx, t, src)
	if err != nil {
		return Outcome{}, err
	}
	defer conn.Close()
	b := binary.BigEndian.AppendUint32(nil, 100)
	b = append(b, make([]byte, 10)...)
	if _, err := conn.Write(b); err != nil {
		return Outcome{}, err
	}
	if err := conn.CloseWrite(); err != nil {
		return Outcome{}, err
	}
	r := ReadReply(conn, 10*time.Second)
	out := Outcome{Told: r.Code(), Refusals: 1, Evidence: []string{"source=" + src + ":"}, Detail: r.String()}
	if r.Code() != protocol.ReasonFrameTruncated {
		return out, fmt.Errorf("answered %s, want an Error with %s", r, protocol.ReasonFrameTruncated)
	}
	return out, nil
}

// idleAfterHandshake completes the TLS handshake and then says nothing.
func idleAfterHandshake(ctx context.Context, t *Target) (Outcome, error) {
	src := t.Source()
	conn, err := bootstrap(ctx, t, src)
	if err != nil {
		return Outcome{}, err
	}
	defer conn.Close()
	start := time.Now()
	r := ReadReply(conn, 2*t.HandshakeTimeout+5*time.Second)
	took := time.Since(start)
	out := Outcome{Told: r.Code(), Refusals: 1, Evidence: []string{"source=" + src + ":"}, Detail: fmt.Sprintf("%s after %s", r, took.Round(time.Millisecond))}
	if !r.Refused() {
		return out, fmt.Errorf("the gateway kept an idle bootstrap connection open for %s", took)
	}
	if took > t.HandshakeTimeout+time.Second {
		return out, fmt.Errorf("an idle bootstrap connection lived %s, past the %s handshake timeout", took, t.HandshakeTimeout)
	}
	return out, nil
}
