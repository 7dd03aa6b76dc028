package qemu

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/wasmbed/wasmbed/firmware/guest"
	"github.com/wasmbed/wasmbed/harness/proc"
	"github.com/wasmbed/wasmbed/harness/serialbridge"
	qi "github.com/wasmbed/wasmbed/qemu-images"
	"github.com/wasmbed/wasmbed/qemu-images/flashdisk"
)

// Device is one QEMU guest of a fleet. Its disk and its bridge outlive
// power cycles; the QEMU process does not.
type Device struct {
	Spec    Spec
	Profile qi.Profile
	Image   *qi.Image
	// Dir is the device's artefact folder; ConsoleLog, DataLog and
	// QEMULog are in it.
	Dir, ConsoleLog, DataLog, QEMULog string
	// FlashPath is the device's flash image (in the fleet's temporary
	// directory).
	FlashPath string

	fleet    *Fleet
	qemuPath string
	gateway  string
	dataSock string
	qmpSock  string
	kvm      bool
	accelWhy string

	mu       sync.Mutex
	proc     *proc.Process
	bridge   *serialbridge.Bridge
	dataLog  *os.File
	lastBoot time.Duration
	closed   bool
}

// Name is the device name.
func (d *Device) Name() string { return d.Spec.Name }

// Accel says which accelerator the device runs under ("kvm" or "tcg") and
// why.
func (d *Device) Accel() (string, string) {
	if d.kvm {
		return AccelKVM, d.accelWhy
	}
	return AccelTCG, d.accelWhy
}

// Bridge returns the device's serial bridge (it changes on RestartBridge).
func (d *Device) Bridge() *serialbridge.Bridge {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.bridge
}

// Running reports whether the device's QEMU process is alive.
func (d *Device) Running() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.proc != nil && !d.proc.Exited()
}

// Exited returns a channel closed when the current QEMU process exits
// (for instance after the guest powers itself off); nil if not running.
func (d *Device) Exited() <-chan struct{} {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.proc == nil {
		return nil
	}
	return d.proc.Done()
}

// PID is the QEMU process id, or 0 when powered off.
func (d *Device) PID() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.proc == nil || d.proc.Exited() {
		return 0
	}
	return d.proc.PID()
}

// BootTime is how long the last boot took, from QEMU start (or reset) to
// the firmware's READY on the data line.
func (d *Device) BootTime() time.Duration {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.lastBoot
}

// PowerOn starts QEMU with the device's disk and waits, at most the
// fleet's BootTimeout, for the firmware to announce itself. A device that
// does not is powered off again, and the error quotes its console.
func (d *Device) PowerOn(ctx context.Context) error {
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		return fmt.Errorf("qemu: device %s: fleet closed", d.Name())
	}
	if d.proc != nil && !d.proc.Exited() {
		d.mu.Unlock()
		return fmt.Errorf("qemu: device %s is already powered on", d.Name())
	}
	seq := d.bridge.LastReady().Seq
	accel, _ := d.Accel()
	d.fleet.pr.Printf("booting %s (%s, %s)", d.Name(), d.Profile.Name, accel)
	start := time.Now()
	p, err := proc.Start(proc.Spec{Name: "qemu", Path: d.qemuPath, Args: d.qemuArgs(), LogDir: d.Dir})
	if err != nil {
		d.mu.Unlock()
		return fmt.Errorf("qemu: device %s: %w", d.Name(), err)
	}
	d.proc = p
	d.mu.Unlock()
	return d.waitBoot(ctx, p, seq, start)
}

// waitBoot waits for a READY numbered above seq while p runs.
func (d *Device) waitBoot(ctx context.Context, p *proc.Process, seq uint64, start time.Time) error {
	bctx, cancel := context.WithTimeout(ctx, d.fleet.opts.BootTimeout)
	defer cancel()
	go func() {
		select {
		case <-p.Done():
			cancel()
		case <-bctx.Done():
		}
	}()
	ev, err := d.Bridge().WaitReady(bctx, seq)
	if err != nil {
		// A guest that did not boot would only burn CPU: power it off,
		// keeping its logs.
		p.Kill()
		why := fmt.Sprintf("did not announce itself on its data line within %s", d.fleet.opts.BootTimeout)
		switch {
		case p.Exited():
			why = fmt.Sprintf("QEMU exited during boot (%v); its output:\n%s", p.Err(), tail(d.QEMULog, 10))
		case ctx.Err() != nil:
			why = "boot interrupted: " + ctx.Err().Error()
		}
		return fmt.Errorf("qemu: device %s (%s) %s\nconsole (%s):\n%s", d.Name(), d.Profile.Name, why, d.ConsoleLog, tail(d.ConsoleLog, 15))
	}
	boot := ev.At.Sub(start)
	d.mu.Lock()
	d.lastBoot = boot
	d.mu.Unlock()
	d.fleet.pr.Printf("%s up in %s", d.Name(), boot.Round(10*time.Millisecond))
	return nil
}

// WaitReady waits for the firmware's next announcement after the READY
// numbered after (see serialbridge.Bridge.LastReady): use it after a
// reboot the firmware starts itself.
func (d *Device) WaitReady(ctx context.Context, after uint64) (serialbridge.ReadyEvent, error) {
	return d.Bridge().WaitReady(ctx, after)
}

// Reset presses the reset button (QMP system_reset) and waits for the
// firmware to come back. The disk keeps its content.
func (d *Device) Reset(ctx context.Context) error {
	d.mu.Lock()
	p := d.proc
	d.mu.Unlock()
	if p == nil || p.Exited() {
		return fmt.Errorf("qemu: device %s: cannot reset, it is powered off", d.Name())
	}
	seq := d.Bridge().LastReady().Seq
	start := time.Now()
	qctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if _, err := qmpCommand(qctx, d.qmpSock, "system_reset", nil); err != nil {
		return fmt.Errorf("qemu: device %s: reset: %w", d.Name(), err)
	}
	return d.waitBoot(ctx, p, seq, start)
}

// PowerCut kills QEMU with SIGKILL, as pulling the plug: the guest gets
// no chance to flush or unmount. It returns once the process is gone.
func (d *Device) PowerCut() {
	d.mu.Lock()
	p := d.proc
	d.mu.Unlock()
	if p != nil {
		p.Kill()
	}
}

// PowerCycle cuts the power and powers on again.
func (d *Device) PowerCycle(ctx context.Context) error {
	d.PowerCut()
	return d.PowerOn(ctx)
}

// PowerOff asks QEMU to quit (QMP quit, which flushes the disk image but
// gives the guest no shutdown), falling back to SIGKILL.
func (d *Device) PowerOff(ctx context.Context) error {
	d.mu.Lock()
	p := d.proc
	d.mu.Unlock()
	if p == nil || p.Exited() {
		return nil
	}
	qctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	_, err := qmpCommand(qctx, d.qmpSock, "quit", nil)
	select {
	case <-p.Done():
		return nil
	case <-qctx.Done():
		p.Kill()
		return fmt.Errorf("qemu: device %s did not quit (%v); killed", d.Name(), err)
	}
}

// WaitExit waits for QEMU to exit by itself (the guest powered off).
func (d *Device) WaitExit(ctx context.Context) error {
	ch := d.Exited()
	if ch == nil {
		return nil
	}
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("qemu: device %s still running: %w", d.Name(), ctx.Err())
	}
}

// Cut severs the device's serial link (see serialbridge.Bridge.Cut).
func (d *Device) Cut() { d.Bridge().Cut() }

// Restore reconnects a cut serial link.
func (d *Device) Restore() { d.Bridge().Restore() }

// RestartBridge stops the device's bridge and starts a new one on the same
// line, as when the harness side of the link crashes. The device keeps
// running and reconnects; its open sessions are lost.
func (d *Device) RestartBridge() error {
	d.mu.Lock()
	old := d.bridge
	d.mu.Unlock()
	old.Close()
	return d.startBridge()
}

// Retarget joins the device's future sessions to addr instead of its
// gateway address, as if its network route changed. The running bridge is
// replaced; open sessions are lost and the firmware reconnects.
func (d *Device) Retarget(addr string) error {
	d.mu.Lock()
	d.gateway = addr
	d.mu.Unlock()
	return d.RestartBridge()
}

// ReadFlash reads a file of the device's flash from the host (see
// flashdisk.ReadFile). Reading while the guest runs shows what it has
// written back so far.
func (d *Device) ReadFlash(ctx context.Context, name string) ([]byte, error) {
	return flashdisk.ReadFile(ctx, d.FlashPath, name)
}

// Reflash recreates the device's flash with new factory files, as a
// device sent back to the factory for re-provisioning. It must be powered
// off.
func (d *Device) Reflash(ctx context.Context, opts flashdisk.Options) error {
	if d.Running() {
		return fmt.Errorf("qemu: device %s: power it off before reflashing", d.Name())
	}
	return flashdisk.Create(ctx, d.FlashPath, opts)
}

// FactoryReset wipes the flash back to its provisioning files. The device
// must be powered off.
func (d *Device) FactoryReset(ctx context.Context) error {
	if d.Running() {
		return fmt.Errorf("qemu: device %s: power it off before a factory reset", d.Name())
	}
	return flashdisk.Wipe(ctx, d.FlashPath)
}

func (d *Device) startBridge() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.dataLog == nil {
		f, err := os.OpenFile(d.DataLog, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			return err
		}
		d.dataLog = f
	}
	b, err := serialbridge.Start(serialbridge.Config{Name: d.Name(), Socket: d.dataSock, Target: d.gateway, Log: d.dataLog})
	if err != nil {
		return err
	}
	d.bridge = b
	return nil
}

// close kills QEMU and stops the bridge; the fleet removes the files.
func (d *Device) close() {
	d.mu.Lock()
	d.closed = true
	p, b := d.proc, d.bridge
	d.mu.Unlock()
	if p != nil {
		p.Kill()
	}
	if b != nil {
		b.Close()
	}
	d.mu.Lock()
	if d.dataLog != nil {
		d.dataLog.Close()
		d.dataLog = nil
	}
	d.mu.Unlock()
}

// cmdline is the kernel command line.
func (d *Device) cmdline() string {
	p := d.Profile
	params := map[string]string{
		guest.KeyName:     d.Name(),
		guest.KeyProfile:  p.Name,
		guest.KeyDataLine: p.DataLine,
		guest.KeyFlash:    p.DiskNode,
		guest.KeyTime:     strconv.FormatInt(time.Now().Unix(), 10),
	}
	for k, v := range d.Spec.Params {
		params[k] = v
	}
	words := []string{"console=" + p.Console, "quiet"}
	if p.ExtraAppend != "" {
		words = append(words, p.ExtraAppend)
	}
	if p.GOARCH == "amd64" && !d.kvm {
		words = append(words, fmt.Sprintf("tsc_early_khz=%d", hostTSCKHz()))
	}
	return strings.Join(append(words, guest.Cmdline(params)), " ")
}

// qemuOpt escapes a value inside a QEMU option list.
func qemuOpt(s string) string { return strings.ReplaceAll(s, ",", ",,") }

func (d *Device) qemuArgs() []string {
	p := d.Profile
	args := []string{"-nodefaults", "-no-user-config", "-display", "none", "-name", d.Name(),
		"-M", p.Machine, "-m", p.Memory}
	if d.kvm {
		args = append(args, "-accel", "kvm")
		if p.KVMCPU != "" {
			args = append(args, "-cpu", p.KVMCPU)
		}
	} else {
		args = append(args, "-accel", "tcg,tb-size=16")
		if p.CPU != "" {
			args = append(args, "-cpu", p.CPU)
		}
	}
	return append(args,
		"-kernel", d.Image.Kernel, "-initrd", d.Image.Initramfs, "-append", d.cmdline(),
		"-chardev", "file,id=console,append=on,path="+qemuOpt(d.ConsoleLog), "-serial", "chardev:console",
		"-chardev", "socket,id=data,server=on,wait=off,path="+qemuOpt(d.dataSock), "-device", fmt.Sprintf(p.DataDevice, "data"),
		"-drive", "if=none,format=raw,id=flash,file="+qemuOpt(d.FlashPath), "-device", fmt.Sprintf(p.DiskDevice, "flash"),
		"-qmp", "unix:"+qemuOpt(d.qmpSock)+",server=on,wait=off",
	)
}

// tail returns the last n lines of a file, for error messages.
func tail(path string, n int) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return "  (" + err.Error() + ")"
	}
	lines := bytes.Split(bytes.TrimRight(data, "\n"), []byte("\n"))
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	var b strings.Builder
	for _, l := range lines {
		b.WriteString("  ")
		b.Write(l)
		b.WriteByte('\n')
	}
	return b.String()
}
