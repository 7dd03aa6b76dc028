package guest_test

import (
	"context"
	"os"
	"time"

	"github.com/wasmbed/wasmbed/firmware/guest"
)

// The firmware's main, when it is the guest's /init.
func ExampleBoot() {
	if os.Getpid() != 1 {
		return // a process device: flash directory and TCP as usual
	}
	sys, err := guest.Boot()
	if err != nil {
		if sys != nil {
			sys.Logger.Error("boot failed", "err", err)
			sys.Shutdown(false) // never returns; PID 1 must not exit
		}
		panic(err) // no console even: the kernel prints the panic
	}
	// Hand sys.Store and sys.Dial to the agent; each Dial is a fresh
	// session to the gateway over the serial line.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := sys.Dial(ctx)
	if err == nil {
		conn.Close()
	}
	sys.Shutdown(true) // reboot
}
