package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/bluenviron/gomavlib/v3/pkg/dialect"
	"github.com/bluenviron/gomavlib/v3/pkg/dialects/common"
	"github.com/bluenviron/gomavlib/v3/pkg/frame"
	"github.com/bluenviron/gomavlib/v3/pkg/streamwriter"

	"github.com/wasmbed/wasmbed/harness/px4sim"
)

// heartbeatFrame encodes a GCS HEARTBEAT from system 245.
func heartbeatFrame(t *testing.T) []byte {
	t.Helper()
	drw := &dialect.ReadWriter{Dialect: common.Dialect}
	if err := drw.Initialize(); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	fw := &frame.Writer{ByteWriter: &buf, DialectRW: drw}
	if err := fw.Initialize(); err != nil {
		t.Fatal(err)
	}
	sw := &streamwriter.Writer{FrameWriter: fw, Version: streamwriter.V2, SystemID: 245}
	if err := sw.Initialize(); err != nil {
		t.Fatal(err)
	}
	if err := sw.Write(&common.MessageHeartbeat{Type: common.MAV_TYPE_GCS, Autopilot: common.MAV_AUTOPILOT_INVALID, MavlinkVersion: 3}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestParseFlags(t *testing.T) {
	o, err := parseFlags([]string{"-instance", "2", "-n", "3", "-speed", "5", "-seed", "7",
		"-home", "45.5, 9.1, 120", "-dll-action", "rtl", "-dll-timeout", "3s", "-api-remote", "none"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	c := o.cfg
	if o.n != 3 || c.Instance != 2 || c.SpeedFactor != 5 || c.Seed != 7 ||
		c.Home != (px4sim.Position{Lat: 45.5, Lon: 9.1, Alt: 120}) ||
		c.Failsafe.DataLinkLossAction != px4sim.FailsafeRTL || c.Failsafe.DataLinkLossTimeout != 3*time.Second ||
		c.API.Remote != px4sim.NoRemote {
		t.Errorf("parsed %+v n=%d", c, o.n)
	}
	for _, bad := range [][]string{{"-n", "0"}, {"-home", "1,2"}, {"-dll-action", "explode"}, {"-sysid", "300"}, {"extra"}} {
		if _, err := parseFlags(bad, io.Discard); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestRunPrintsAddressesAndStopsOnCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"-n", "2", "-speed", "20",
			"-gcs-bind", "127.0.0.1:0", "-api-bind", "127.0.0.1:0", "-gcs-remote", "none", "-api-remote", "none"}, pw, io.Discard)
		pw.Close()
	}()
	line := regexp.MustCompile(`sysid=(\d+) .* api=(127\.0\.0\.1:\d+)->none`)
	sc := bufio.NewScanner(pr)
	var apis []string
	for len(apis) < 2 && sc.Scan() {
		m := line.FindStringSubmatch(sc.Text())
		if m == nil {
			t.Fatalf("unexpected line %q", sc.Text())
		}
		apis = append(apis, m[2])
	}
	// The printed address is live: a datagram there gets telemetry back.
	conn, err := net.Dial("udp4", apis[1])
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.Write(heartbeatFrame(t)); err != nil {
		t.Fatal(err)
	}
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	buf := make([]byte, 512)
	n, err := conn.Read(buf)
	if err != nil || n < 12 || buf[0] != 0xfd || buf[5] != 2 {
		t.Fatalf("no telemetry from vehicle 2: n=%d err=%v", n, err)
	}
	cancel()
	go io.Copy(io.Discard, pr)
	select {
	case err := <-done:
		if err != nil && !strings.Contains(err.Error(), "closed") {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("run did not return after cancel")
	}
}
