package seriallink

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

var baudRates = map[int]uint32{
	9600: unix.B9600, 19200: unix.B19200, 38400: unix.B38400, 57600: unix.B57600,
	115200: unix.B115200, 230400: unix.B230400, 460800: unix.B460800, 921600: unix.B921600,
	1000000: unix.B1000000, 1500000: unix.B1500000, 2000000: unix.B2000000,
	3000000: unix.B3000000, 4000000: unix.B4000000,
}

// OpenTTY opens a serial port for the link: raw mode (no echo, no line
// editing, no flow control, 8N1), the given baud rate (0 keeps the current
// one), and both queues flushed, so whatever arrived before raw mode (and
// may have been echoed) is gone. The file is non-blocking underneath, so
// it supports deadlines.
//
// Call New right after it: the host learns the port is usable only from
// the READY frame.
func OpenTTY(path string, baud int) (*os.File, error) {
	fd, err := unix.Open(path, unix.O_RDWR|unix.O_NOCTTY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("seriallink: open %s: %w", path, err)
	}
	if err := MakeRaw(fd, baud); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("seriallink: %s: %w", path, err)
	}
	return os.NewFile(uintptr(fd), path), nil
}

// MakeRaw puts the terminal fd in raw mode at baud (0 keeps the speed) and
// flushes its input and output queues.
func MakeRaw(fd int, baud int) error {
	t, err := unix.IoctlGetTermios(fd, unix.TCGETS)
	if err != nil {
		return fmt.Errorf("not a terminal: %w", err)
	}
	t.Iflag &^= unix.IGNBRK | unix.BRKINT | unix.PARMRK | unix.ISTRIP | unix.INLCR | unix.IGNCR |
		unix.ICRNL | unix.IXON | unix.IXOFF | unix.IXANY | unix.INPCK
	t.Oflag &^= unix.OPOST
	t.Lflag &^= unix.ECHO | unix.ECHONL | unix.ECHOE | unix.ECHOK | unix.ICANON | unix.ISIG | unix.IEXTEN
	t.Cflag &^= unix.CSIZE | unix.PARENB | unix.CSTOPB | unix.CRTSCTS
	t.Cflag |= unix.CS8 | unix.CREAD | unix.CLOCAL
	t.Cc[unix.VMIN] = 1
	t.Cc[unix.VTIME] = 0
	if baud != 0 {
		b, ok := baudRates[baud]
		if !ok {
			return fmt.Errorf("unsupported baud rate %d", baud)
		}
		t.Cflag &^= unix.CBAUD
		t.Cflag |= b
		t.Ispeed, t.Ospeed = b, b
	}
	if err := unix.IoctlSetTermios(fd, unix.TCSETS, t); err != nil {
		return fmt.Errorf("set raw mode: %w", err)
	}
	if err := unix.IoctlSetInt(fd, unix.TCFLSH, unix.TCIOFLUSH); err != nil {
		return fmt.Errorf("flush: %w", err)
	}
	return nil
}
