package seriallink

import (
	"fmt"
	"testing"

	"golang.org/x/sys/unix"
)

func TestOpenTTYRaw(t *testing.T) {
	fd, err := unix.Open("/dev/ptmx", unix.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals: %v", err)
	}
	defer unix.Close(fd)
	if err := unix.IoctlSetPointerInt(fd, unix.TIOCSPTLCK, 0); err != nil {
		t.Fatal(err)
	}
	n, err := unix.IoctlGetInt(fd, unix.TIOCGPTN)
	if err != nil {
		t.Fatal(err)
	}
	f, err := OpenTTY(fmt.Sprintf("/dev/pts/%d", n), 921600)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tio, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	if err != nil {
		t.Fatal(err)
	}
	if tio.Lflag&(unix.ECHO|unix.ICANON|unix.ISIG) != 0 || tio.Iflag&(unix.ICRNL|unix.IXON) != 0 || tio.Oflag&unix.OPOST != 0 {
		t.Fatalf("not raw: %+v", tio)
	}
	if tio.Cflag&unix.CBAUD != unix.B921600 || tio.Cflag&unix.CSIZE != unix.CS8 {
		t.Fatalf("cflag %#x", tio.Cflag)
	}
	if _, err := OpenTTY("/dev/null", 0); err == nil {
		t.Fatal("/dev/null accepted as a terminal")
	}
	if err := MakeRaw(int(f.Fd()), 12345); err == nil {
		t.Fatal("odd baud rate accepted")
	}
}
