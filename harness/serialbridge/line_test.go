package serialbridge

import (
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"golang.org/x/sys/unix"
)

// openPTY returns the master side of a new pseudo-terminal and the path of
// its slave, which stands for the guest's UART.
func openPTY(t *testing.T) (*os.File, string) {
	t.Helper()
	fd, err := unix.Open("/dev/ptmx", unix.O_RDWR|unix.O_NOCTTY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals here: %v", err)
	}
	if err := unix.IoctlSetPointerInt(fd, unix.TIOCSPTLCK, 0); err != nil {
		t.Fatal(err)
	}
	n, err := unix.IoctlGetInt(fd, unix.TIOCGPTN)
	if err != nil {
		t.Fatal(err)
	}
	master := os.NewFile(uintptr(fd), "ptmx")
	t.Cleanup(func() { master.Close() })
	return master, fmt.Sprintf("/dev/pts/%d", n)
}

// fakeChardev plays QEMU's "-chardev socket,server=on,wait=off": it
// listens on a UNIX socket, joins one client at a time to the pty master,
// and drops what the guest sends while no client is connected.
type fakeChardev struct {
	path   string
	ln     net.Listener
	master *os.File

	mu     sync.Mutex
	client net.Conn
	wg     sync.WaitGroup
}

func newFakeChardev(t *testing.T, master *os.File) *fakeChardev {
	t.Helper()
	path := filepath.Join(t.TempDir(), "data.sock")
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	c := &fakeChardev{path: path, ln: ln, master: master}
	c.wg.Add(2)
	go c.accept()
	go c.fromGuest()
	t.Cleanup(c.close)
	return c
}

func (c *fakeChardev) accept() {
	defer c.wg.Done()
	for {
		conn, err := c.ln.Accept()
		if err != nil {
			return
		}
		c.mu.Lock()
		if c.client != nil {
			c.client.Close()
		}
		c.client = conn
		c.mu.Unlock()
		c.wg.Add(1)
		go func() {
			defer c.wg.Done()
			io.Copy(c.master, conn) // to the guest
		}()
	}
}

func (c *fakeChardev) fromGuest() {
	defer c.wg.Done()
	buf := make([]byte, 4096)
	for {
		n, err := c.master.Read(buf)
		if n > 0 {
			c.mu.Lock()
			if c.client != nil {
				c.client.Write(buf[:n])
			}
			c.mu.Unlock()
		}
		if err != nil {
			return
		}
	}
}

// inject writes raw bytes to the guest, as line noise would.
func (c *fakeChardev) inject(b []byte) { c.master.Write(b) }

func (c *fakeChardev) close() {
	c.ln.Close()
	c.mu.Lock()
	if c.client != nil {
		c.client.Close()
	}
	c.mu.Unlock()
	c.master.Close()
	c.wg.Wait()
}
