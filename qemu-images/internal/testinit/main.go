// Command testinit is the /init of the QEMU boot-test images. It boots the
// guest with firmware/guest exactly as the firmware does, then lets the
// host drive it over the serial link, so the boot tests exercise the real
// path: kernel, modules, flash disk, data UART, seriallink, serialbridge.
//
// Modes (kernel command line wasmbed.test=...):
//
//   - control (default): dial the gateway address, send
//     "HELLO <name> <profile> boot=<n>", then answer line commands until
//     the host ends the session, and dial again:
//     ECHO <text>, WRITE <name> <value>, READ <name> (answers VALUE <hex>),
//     LIST <dir>,
//     SOURCE <n> (send n bytes), SINK <n> (read n bytes), STATS,
//     REBOOT, POWEROFF, QUIT.
//   - echo: open three successive sessions to a TCP echo server, send a
//     64 KiB pattern on each and check it comes back, print
//     "ECHO OK session=<i> bytes=<n>" on the console for each, then
//     idle.
//
// The boot count lives in the flash (test/boots), so the host can see
// that state survives reboots and power cuts.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/wasmbed/wasmbed/firmware/guest"
)

func main() {
	if os.Getpid() != 1 {
		fmt.Fprintln(os.Stderr, "testinit is the /init of QEMU boot-test images; it runs only as PID 1 in a guest")
		os.Exit(2)
	}
	sys, err := guest.Boot()
	if err != nil {
		if sys == nil {
			fmt.Fprintf(os.Stderr, "testinit: boot failed: %v\n", err)
			unix.Sync()
			unix.Reboot(unix.LINUX_REBOOT_CMD_POWER_OFF)
			select {}
		}
		sys.Logger.Error("boot failed", "err", err)
		sys.Shutdown(false)
	}
	boots := countBoot(sys)
	sys.Logger.Info("TESTINIT READY", "boot", boots, "modules", strings.Join(sys.Modules, ","))
	switch mode := sys.Params["test"]; mode {
	case "", "control":
		control(sys, boots)
	case "echo":
		echo(sys)
	default:
		sys.Logger.Error("unknown wasmbed.test mode", "mode", mode)
		sys.Shutdown(false)
	}
}

func countBoot(sys *guest.System) int {
	n := 0
	if b, err := sys.Store.Read("test/boots"); err == nil {
		n, _ = strconv.Atoi(string(b))
	}
	n++
	if err := sys.Store.Write("test/boots", []byte(strconv.Itoa(n))); err != nil {
		sys.Logger.Error("cannot count the boot", "err", err)
	}
	return n
}

// dial opens a session, retrying with a short backoff.
func dial(sys *guest.System) net.Conn {
	backoff := 100 * time.Millisecond
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		c, err := sys.Dial(ctx)
		cancel()
		if err == nil {
			return c
		}
		sys.Logger.Warn("dial failed", "err", err)
		time.Sleep(backoff)
		backoff = min(2*backoff, 2*time.Second)
	}
}

func echo(sys *guest.System) {
	payload := make([]byte, 64<<10)
	for i := range payload {
		payload[i] = byte(i * 31)
	}
	for i := 1; i <= 3; i++ {
		c := dial(sys)
		c.SetDeadline(time.Now().Add(60 * time.Second))
		errc := make(chan error, 1)
		go func() { _, err := c.Write(payload); errc <- err }()
		got := make([]byte, len(payload))
		_, rerr := io.ReadFull(c, got)
		werr := <-errc
		c.Close()
		switch {
		case rerr != nil || werr != nil:
			sys.Logger.Error("ECHO FAILED", "session", i, "read", rerr, "write", werr)
			i--
		case !bytes.Equal(got, payload):
			sys.Logger.Error("ECHO FAILED: corrupted", "session", i)
		default:
			fmt.Fprintf(os.Stdout, "ECHO OK session=%d bytes=%d\n", i, len(payload))
		}
	}
	select {}
}

func control(sys *guest.System, boots int) {
	for {
		c := dial(sys)
		serve(sys, c, boots)
		c.Close()
	}
}

func serve(sys *guest.System, c net.Conn, boots int) {
	log := sys.Logger
	fmt.Fprintf(c, "HELLO %s %s boot=%d\n", sys.Config.Name, sys.Config.Profile, boots)
	r := bufio.NewReaderSize(c, 64<<10)
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			if err != io.EOF {
				log.Warn("session ended", "err", err)
			}
			return
		}
		cmd, arg, _ := strings.Cut(strings.TrimRight(line, "\n"), " ")
		var reply string
		switch cmd {
		case "ECHO":
			reply = arg
		case "WRITE":
			name, value, _ := strings.Cut(arg, " ")
			reply = result(sys.Store.Write(name, []byte(value)), "OK")
		case "READ":
			b, err := sys.Store.Read(arg)
			reply = result(err, "VALUE "+hex.EncodeToString(b))
		case "LIST":
			names, err := sys.Store.List(arg)
			reply = result(err, "LIST "+strings.Join(names, ","))
		case "SOURCE":
			n, _ := strconv.Atoi(arg)
			buf := bytes.Repeat([]byte{'x'}, n)
			if _, err := c.Write(buf); err != nil {
				return
			}
			reply = "DONE"
		case "SINK":
			n, _ := strconv.Atoi(arg)
			if _, err := io.CopyN(io.Discard, r, int64(n)); err != nil {
				return
			}
			reply = "DONE"
		case "STATS":
			b, _ := json.Marshal(sys.Link.Stats())
			reply = string(b)
		case "REBOOT", "POWEROFF":
			fmt.Fprintln(c, "OK")
			c.Close()
			sys.Shutdown(cmd == "REBOOT")
		case "QUIT":
			fmt.Fprintln(c, "BYE")
			return
		default:
			reply = "ERR unknown command " + strconv.Quote(cmd)
		}
		if _, err := fmt.Fprintln(c, reply); err != nil {
			log.Warn("reply failed", "err", err)
			return
		}
	}
}

func result(err error, ok string) string {
	if err != nil {
		return "ERR " + err.Error()
	}
	return ok
}
