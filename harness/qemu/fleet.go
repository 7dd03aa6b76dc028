package qemu

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/wasmbed/wasmbed/harness/progress"
	qi "github.com/wasmbed/wasmbed/qemu-images"
	"github.com/wasmbed/wasmbed/qemu-images/flashdisk"
)

// Acceleration choices for Options.Accel.
const (
	// AccelAuto uses KVM only where it is proven to boot the image, TCG
	// otherwise.
	AccelAuto = "auto"
	// AccelTCG always emulates.
	AccelTCG = "tcg"
	// AccelKVM requires KVM and fails where it does not work.
	AccelKVM = "kvm"
)

// Options configure a fleet.
type Options struct {
	// ArtifactDir receives one folder per device with console.log,
	// dataline.log and qemu.log. Required.
	ArtifactDir string
	// Gateway is the TCP address device sessions are joined to, unless a
	// Spec says otherwise.
	Gateway string
	// Concurrency is how many devices boot at once (default: the number
	// of CPUs). Booting under TCG is CPU-bound.
	Concurrency int
	// BootTimeout bounds QEMU start to the firmware's READY (default 90s).
	BootTimeout time.Duration
	// Firmware is the Go main package built as /init when the fleet
	// builds images itself (default qemuimages.DefaultFirmware).
	Firmware string
	// Images are prebuilt images by profile; missing profiles are built
	// (or taken from the cache) on first use.
	Images map[string]*qi.Image
	// Accel is AccelAuto (default), AccelTCG or AccelKVM.
	Accel string
	// Progress receives progress lines (default: standard error).
	Progress *progress.Printer
}

// Fleet is a set of QEMU devices. Close it, whatever happens.
type Fleet struct {
	opts Options
	work string
	pr   *progress.Printer

	imgMu  sync.Mutex
	images map[string]*qi.Image
	kvmMu  sync.Mutex
	kvm    map[string]kvmDecision // by image key

	mu      sync.Mutex
	devices []*Device
	names   map[string]bool
	seq     int
	closed  bool
}

type kvmDecision struct {
	use bool
	why string
}

// New creates an empty fleet. It sweeps the temporary directories of
// fleets whose harness died.
func New(opts Options) (*Fleet, error) {
	if opts.ArtifactDir == "" {
		return nil, errors.New("qemu: Options.ArtifactDir is required")
	}
	if opts.Concurrency <= 0 {
		opts.Concurrency = runtime.NumCPU()
	}
	if opts.BootTimeout <= 0 {
		opts.BootTimeout = 90 * time.Second
	}
	if opts.Firmware == "" {
		opts.Firmware = qi.DefaultFirmware
	}
	if opts.Accel == "" {
		opts.Accel = AccelAuto
	}
	switch opts.Accel {
	case AccelAuto, AccelTCG, AccelKVM:
	default:
		return nil, fmt.Errorf("qemu: Options.Accel %q: want %s, %s or %s", opts.Accel, AccelAuto, AccelTCG, AccelKVM)
	}
	if opts.Progress == nil {
		opts.Progress = progress.Stderr("qemu")
	}
	if err := os.MkdirAll(opts.ArtifactDir, 0o755); err != nil {
		return nil, err
	}
	work, swept, err := newWorkDir()
	if err != nil {
		return nil, err
	}
	if len(swept) > 0 {
		opts.Progress.Printf("removed %d leftover fleet directories of dead harnesses", len(swept))
	}
	f := &Fleet{opts: opts, work: work, pr: opts.Progress, images: map[string]*qi.Image{}, kvm: map[string]kvmDecision{}, names: map[string]bool{}}
	for k, v := range opts.Images {
		f.images[k] = v
	}
	return f, nil
}

// Image returns the image the fleet boots for a profile, building it on
// first use.
func (f *Fleet) Image(ctx context.Context, profile string) (*qi.Image, error) {
	f.imgMu.Lock()
	defer f.imgMu.Unlock()
	if img, ok := f.images[profile]; ok {
		return img, nil
	}
	img, err := EnsureImage(ctx, profile, f.opts.Firmware, f.pr)
	if err != nil {
		return nil, err
	}
	f.images[profile] = img
	return img, nil
}

// Spec describes one device.
type Spec struct {
	// Name is the device name (unique in the fleet; also its folder).
	Name string
	// Profile is a QEMU profile (see qemuimages.Profiles).
	Profile string
	// Gateway overrides Options.Gateway for this device.
	Gateway string
	// Params are extra kernel command-line keys for the firmware, without
	// the "wasmbed." prefix (e.g. "log": "debug"). They override the
	// fleet's own (name, profile, dataline, flash, time).
	Params map[string]string
	// Flash is the flash image to create: size and factory files (see
	// flashdisk.Provisioning).
	Flash flashdisk.Options
}

// Start creates the devices and boots them, Concurrency at a time, each
// within BootTimeout. It returns every device it created, booted or not,
// with the boot errors joined; Close cleans up either way.
func (f *Fleet) Start(ctx context.Context, specs ...Spec) ([]*Device, error) {
	devices := make([]*Device, 0, len(specs))
	for _, s := range specs {
		d, err := f.newDevice(ctx, s, "")
		if err != nil {
			return devices, err
		}
		devices = append(devices, d)
	}
	if len(devices) > 1 {
		f.pr.Printf("booting %d devices, %d at a time", len(devices), f.opts.Concurrency)
	}
	sem := make(chan struct{}, f.opts.Concurrency)
	errs := make([]error, len(devices))
	var wg sync.WaitGroup
	for i, d := range devices {
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				errs[i] = ctx.Err()
				return
			}
			defer func() { <-sem }()
			errs[i] = d.PowerOn(ctx)
		}()
	}
	wg.Wait()
	return devices, errors.Join(errs...)
}

// Devices returns the fleet's devices.
func (f *Fleet) Devices() []*Device {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]*Device(nil), f.devices...)
}

// Close kills every QEMU process, stops every bridge and removes the
// sockets and disks. It is safe to call more than once.
func (f *Fleet) Close() error {
	f.mu.Lock()
	if f.closed {
		f.mu.Unlock()
		return nil
	}
	f.closed = true
	devices := f.devices
	f.mu.Unlock()
	for _, d := range devices {
		d.close()
	}
	return os.RemoveAll(f.work)
}

// newDevice prepares a device (image, flash, bridge) without booting it.
// accel forces the accelerator when not empty (the KVM boot probe).
func (f *Fleet) newDevice(ctx context.Context, s Spec, accel string) (*Device, error) {
	p, err := qi.LookupProfile(s.Profile)
	if err != nil {
		return nil, err
	}
	if s.Name == "" || strings.ContainsAny(s.Name, "/ \t") {
		return nil, fmt.Errorf("qemu: device name %q must be non-empty, without slashes or spaces", s.Name)
	}
	gateway := s.Gateway
	if gateway == "" {
		gateway = f.opts.Gateway
	}
	if gateway == "" {
		return nil, fmt.Errorf("qemu: device %s has no gateway address (Options.Gateway or Spec.Gateway)", s.Name)
	}
	qemuPath, err := exec.LookPath(p.QEMU)
	if err != nil {
		return nil, fmt.Errorf("qemu: %s not found: install the Debian package %s (`make deps`)", p.QEMU, p.QEMUPackage)
	}
	img, err := f.Image(ctx, s.Profile)
	if err != nil {
		return nil, err
	}

	f.mu.Lock()
	if f.closed {
		f.mu.Unlock()
		return nil, errors.New("qemu: fleet closed")
	}
	if f.names[s.Name] {
		f.mu.Unlock()
		return nil, fmt.Errorf("qemu: device name %s used twice", s.Name)
	}
	f.names[s.Name] = true
	f.seq++
	id := fmt.Sprintf("d%d", f.seq)
	f.mu.Unlock()

	dir := filepath.Join(f.opts.ArtifactDir, s.Name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	d := &Device{
		Spec: s, Profile: p, Image: img, Dir: dir,
		ConsoleLog: filepath.Join(dir, "console.log"),
		DataLog:    filepath.Join(dir, "dataline.log"),
		QEMULog:    filepath.Join(dir, "qemu.log"),
		FlashPath:  filepath.Join(f.work, id+".flash.img"),
		fleet:      f, qemuPath: qemuPath, gateway: gateway,
		dataSock: filepath.Join(f.work, id+".data"),
		qmpSock:  filepath.Join(f.work, id+".qmp"),
	}
	if err := flashdisk.Create(ctx, d.FlashPath, s.Flash); err != nil {
		return nil, fmt.Errorf("qemu: device %s: %w", s.Name, err)
	}
	if err := d.startBridge(); err != nil {
		os.Remove(d.FlashPath)
		return nil, err
	}
	switch accel {
	case AccelKVM:
		d.kvm, d.accelWhy = true, "KVM boot probe"
	case AccelTCG:
		d.accelWhy = "forced"
	default:
		d.kvm, d.accelWhy, err = f.decideAccel(ctx, p, img)
		if err != nil {
			d.close()
			return nil, err
		}
	}
	f.mu.Lock()
	f.devices = append(f.devices, d)
	f.mu.Unlock()
	return d, nil
}

// decideAccel picks KVM or TCG for a device of profile p.
func (f *Fleet) decideAccel(ctx context.Context, p qi.Profile, img *qi.Image) (bool, string, error) {
	if f.opts.Accel == AccelTCG {
		return false, "TCG requested", nil
	}
	if p.KVMArch() != runtime.GOARCH {
		if f.opts.Accel == AccelKVM {
			return false, "", fmt.Errorf("qemu: KVM requested, but %s guests cannot use KVM on a %s host", p.Name, runtime.GOARCH)
		}
		return false, fmt.Sprintf("%s guest on a %s host", p.GOARCH, runtime.GOARCH), nil
	}
	ok, why := KVMUsable()
	if !ok {
		if f.opts.Accel == AccelKVM {
			return false, "", fmt.Errorf("qemu: KVM requested but not usable: %s", why)
		}
		return false, why, nil
	}
	f.kvmMu.Lock()
	defer f.kvmMu.Unlock()
	dec, done := f.kvm[img.Key]
	if !done {
		dec = f.probeKVMBoot(ctx, p, img)
		f.kvm[img.Key] = dec
		f.pr.Printf("KVM for %s: %v (%s)", p.Name, dec.use, dec.why)
	}
	if !dec.use && f.opts.Accel == AccelKVM {
		return false, "", fmt.Errorf("qemu: KVM requested but it cannot boot %s: %s", p.Name, dec.why)
	}
	return dec.use, dec.why, nil
}

// probeKVMBoot boots the image once under KVM and keeps KVM only if the
// firmware announces itself within 20 seconds.
func (f *Fleet) probeKVMBoot(ctx context.Context, p qi.Profile, img *qi.Image) kvmDecision {
	f.pr.Printf("probing KVM with a real boot of %s", p.Name)
	name := "kvm-probe-" + p.Name
	d, err := f.newDevice(ctx, Spec{Name: name, Profile: p.Name, Gateway: "127.0.0.1:9", Flash: flashdisk.Options{SizeMiB: 8}}, AccelKVM)
	if err != nil {
		return kvmDecision{false, "probe setup failed: " + err.Error()}
	}
	defer func() {
		d.close()
		os.Remove(d.FlashPath)
	}()
	pctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if err := d.PowerOn(pctx); err != nil {
		why := "no READY within 20s"
		if !d.Running() {
			why = "QEMU failed: " + strings.Join(strings.Fields(tail(d.QEMULog, 2)), " ")
		}
		return kvmDecision{false, fmt.Sprintf("the image did not boot under KVM: %s (see %s)", why, d.Dir)}
	}
	return kvmDecision{true, fmt.Sprintf("booted under KVM in %s", d.BootTime().Round(time.Millisecond))}
}
