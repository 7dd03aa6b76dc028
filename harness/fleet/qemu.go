package fleet

import (
	"context"
	"errors"
	"os"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/wasmbed/wasmbed/firmware/flash"
	"github.com/wasmbed/wasmbed/harness/progress"
	"github.com/wasmbed/wasmbed/harness/qemu"
	"github.com/wasmbed/wasmbed/qemu-images/flashdisk"
)

// QEMUBackend runs each device as a QEMU guest booting the firmware as PID
// 1, its data line bridged to the device's gateway address and its flash
// on an ext4 disk image.
type QEMUBackend struct {
	// Profiles are the QEMU profiles devices without a profile of their
	// own cycle through (arm64-virt, riscv64-virt, x86_64-microvm).
	Profiles []string
	// ArtifactDir receives each guest's console, data-line and QEMU logs.
	ArtifactDir string

	once  sync.Once
	fleet *qemu.Fleet
	err   error
	boots chan struct{} // bounds concurrent boots: TCG is CPU-bound
}

// profileCursor spreads devices over the profiles across every backend of
// the run, so a suite of one-device specs still covers all of them.
var profileCursor atomic.Int64

// Name implements Backend.
func (*QEMUBackend) Name() string { return "qemu" }

func (b *QEMUBackend) init() error {
	b.once.Do(func() {
		b.fleet, b.err = qemu.New(qemu.Options{ArtifactDir: b.ArtifactDir, Accel: qemu.AccelTCG, Progress: progress.Stderr("qemu")})
		b.boots = make(chan struct{}, max(2, runtime.NumCPU()))
	})
	return b.err
}

// Launch implements Backend.
func (b *QEMUBackend) Launch(ctx context.Context, spec Spec) (Device, error) {
	if err := b.init(); err != nil {
		return nil, err
	}
	prof := spec.Profile
	if prof == "" || prof == "process" {
		if len(b.Profiles) == 0 {
			return nil, errors.New("qemu backend: no profiles configured")
		}
		prof = b.Profiles[int(profileCursor.Add(1)-1)%len(b.Profiles)]
	}
	select {
	case b.boots <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-b.boots }()
	devs, err := b.fleet.Start(ctx, qemu.Spec{
		Name: spec.Name, Profile: prof, Gateway: spec.Gateway,
		Flash: flashdisk.Options{Files: flashdisk.Provisioning(spec.CA, spec.Token)},
	})
	if len(devs) == 0 {
		return nil, err
	}
	d := &QEMUDevice{d: devs[0]}
	return d, err
}

// Close implements Backend.
func (b *QEMUBackend) Close(context.Context) error {
	if b.fleet == nil {
		return nil
	}
	return b.fleet.Close()
}

// QEMUDevice is a device running as a QEMU guest.
type QEMUDevice struct{ d *qemu.Device }

// Guest is the underlying QEMU device (power, reset, serial link).
func (q *QEMUDevice) Guest() *qemu.Device { return q.d }

// Name implements Device.
func (q *QEMUDevice) Name() string { return q.d.Name() }

// Start implements Device: power on and wait for the firmware.
func (q *QEMUDevice) Start(ctx context.Context) error { return q.d.PowerOn(ctx) }

// Stop implements Device: QEMU quits, flushing the disk image.
func (q *QEMUDevice) Stop(ctx context.Context) error { return q.d.PowerOff(ctx) }

// Reprovision recreates the powered-off device's
// flash with a new CA bundle and token, as a factory re-provisioning.
func (q *QEMUDevice) Reprovision(ctx context.Context, ca []byte, token string) error {
	return q.d.Reflash(ctx, flashdisk.Options{Files: flashdisk.Provisioning(ca, token)})
}

// Kill implements Device: a power cut.
func (q *QEMUDevice) Kill() { q.d.PowerCut() }

// Running implements Device.
func (q *QEMUDevice) Running() bool { return q.d.Running() }

// Redirect implements Device: the serial bridge joins sessions to addr.
func (q *QEMUDevice) Redirect(addr string) { _ = q.d.Retarget(addr) }

// Log implements Device: the guest's console, where the firmware logs.
func (q *QEMUDevice) Log() string {
	b, _ := os.ReadFile(q.d.ConsoleLog)
	return string(b)
}

// Flash implements Device with a read-only view of the disk image.
func (q *QEMUDevice) Flash() flash.Store { return imageStore{q.d} }

// imageStore reads a guest's flash image from the host.
type imageStore struct{ d *qemu.Device }

var errReadOnly = errors.New("the flash of a QEMU guest is read-only from the host: power it off and use FactoryReset")

func (s imageStore) Read(name string) ([]byte, error) {
	return s.d.ReadFlash(context.Background(), name)
}
func (s imageStore) Write(string, []byte) error { return errReadOnly }
func (s imageStore) Remove(string) error        { return errReadOnly }
func (s imageStore) List(dir string) ([]string, error) {
	return flashdisk.List(context.Background(), s.d.FlashPath, dir)
}
