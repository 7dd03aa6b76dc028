package fleet

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/wasmbed/wasmbed/firmware/flash"
)

// Spec describes a device to launch.
type Spec struct {
	// Name is the device name it asks for at token enrolment.
	Name string
	// Profile is a firmware profile (process, esp32-sim, arm64-virt, ...).
	Profile string
	// Gateway is the address the device dials (a link proxy or the gateway).
	Gateway string
	// CA is the CA bundle (PEM) provisioned into flash.
	CA []byte
	// Token is the one-time token provisioned into flash; empty for a
	// pre-registered device.
	Token string
	// LogDir receives the device's log.
	LogDir string
	// FlashDir is the device's flash; a fresh directory under LogDir's
	// parent if empty.
	FlashDir string
	// BackoffMax caps the reconnect backoff; 2 s if zero, so scenarios see
	// reconnects quickly.
	BackoffMax time.Duration
}

// Device is a running (or stopped) device.
type Device interface {
	// Name is the requested device name.
	Name() string
	// Start boots the device; it keeps its flash across restarts.
	Start(ctx context.Context) error
	// Stop shuts the device down cleanly.
	Stop(ctx context.Context) error
	// Kill cuts the power: no clean shutdown.
	Kill()
	// Running reports whether it is up.
	Running() bool
	// Flash is the harness's view of the device's flash, for provisioning
	// and assertions.
	Flash() flash.Store
	// Log returns the device's log so far.
	Log() string
	// Redirect makes the device dial addr from its next connection on, as
	// if its network route changed.
	Redirect(addr string)
}

// Backend launches devices of one kind.
type Backend interface {
	// Name is the WASMBED_DEVICES value that selects it.
	Name() string
	// Launch provisions and starts a device.
	Launch(ctx context.Context, spec Spec) (Device, error)
	// Close stops every device it launched.
	Close(ctx context.Context) error
}

// WithFlash fills in the spec's defaults for a device whose flash is a
// host directory (process, in-process and container devices), creates the
// directory and provisions it.
func (s Spec) WithFlash() (Spec, error) {
	if s.FlashDir == "" {
		s.FlashDir = filepath.Join(s.LogDir, "flash", s.Name)
	}
	if s.Profile == "" {
		s.Profile = "process"
	}
	if s.BackoffMax == 0 {
		s.BackoffMax = 2 * time.Second
	}
	if err := os.MkdirAll(s.FlashDir, 0o700); err != nil {
		return s, err
	}
	return s, Provision(flash.Dir(s.FlashDir), s.CA, s.Token)
}

// Provision writes factory provisioning into a device's flash: the CA bundle
// and the token.
func Provision(store flash.Store, ca []byte, token string) error {
	if err := store.Write(flash.ProvisionCA, ca); err != nil {
		return err
	}
	if token == "" {
		return store.Remove(flash.ProvisionToken)
	}
	return store.Write(flash.ProvisionToken, []byte(token+"\n"))
}

// PublicKey reads the key a device generated on first boot, in the
// Device.spec.publicKey form, as an operator would read it off the device
// to pre-register it. It is empty until the device has booted once.
func PublicKey(d Device) string {
	b, err := d.Flash().Read(flash.IdentityPublicKey)
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// FactoryReset wipes a stopped device's flash and provisions it afresh:
// a new key on next boot, a new token.
func FactoryReset(d Device, ca []byte, token string) error {
	store := d.Flash()
	for _, dir := range []string{"identity", flash.AppsDir, "provision"} {
		names, err := store.List(dir)
		if err != nil {
			return err
		}
		for _, n := range names {
			if err := store.Remove(dir + "/" + n); err != nil {
				return err
			}
		}
	}
	return Provision(store, ca, token)
}
