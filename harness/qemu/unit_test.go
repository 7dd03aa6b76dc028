package qemu

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wasmbed/wasmbed/harness/proc"
	qi "github.com/wasmbed/wasmbed/qemu-images"
)

// fakeQMP answers like QEMU's QMP monitor, with an event in between.
func fakeQMP(t *testing.T) (string, chan string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "qmp.sock")
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	got := make(chan string, 8)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				fmt.Fprintln(c, `{"QMP": {"version": {"qemu": {"major": 7}}, "capabilities": []}}`)
				r := bufio.NewScanner(c)
				for r.Scan() {
					var req struct{ Execute string }
					json.Unmarshal(r.Bytes(), &req)
					got <- req.Execute
					switch req.Execute {
					case "qmp_capabilities":
						fmt.Fprintln(c, `{"return": {}}`)
					case "system_reset":
						fmt.Fprintln(c, `{"timestamp": {"seconds": 1}, "event": "RESET"}`)
						fmt.Fprintln(c, `{"return": {}}`)
					default:
						fmt.Fprintln(c, `{"error": {"class": "CommandNotFound", "desc": "The command nope has not been found"}}`)
					}
				}
			}()
		}
	}()
	return path, got
}

func TestQMP(t *testing.T) {
	path, got := fakeQMP(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := qmpCommand(ctx, path, "system_reset", nil); err != nil {
		t.Fatal(err)
	}
	if a, b := <-got, <-got; a != "qmp_capabilities" || b != "system_reset" {
		t.Fatalf("commands %q %q", a, b)
	}
	_, err := qmpCommand(ctx, path, "nope", nil)
	if err == nil || !strings.Contains(err.Error(), "CommandNotFound") {
		t.Fatalf("error %v", err)
	}
}

func TestSweepWorkDirs(t *testing.T) {
	dead := filepath.Join(os.TempDir(), workDirPrefix+"test-dead")
	live := filepath.Join(os.TempDir(), workDirPrefix+"test-live")
	for _, d := range []string{dead, live} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		defer os.RemoveAll(d)
	}
	self := proc.OwnerToken(os.Getpid())
	// A PID with the wrong start time stands for a dead owner whose PID was
	// reused.
	os.WriteFile(filepath.Join(dead, ownerFile), []byte(self+"1\n"), 0o644)
	os.WriteFile(filepath.Join(live, ownerFile), []byte(self+"\n"), 0o644)
	swept := sweepWorkDirs()
	if _, err := os.Stat(dead); !os.IsNotExist(err) {
		t.Fatalf("dead owner's directory kept (swept %v)", swept)
	}
	if _, err := os.Stat(live); err != nil {
		t.Fatalf("live owner's directory removed: %v", err)
	}
}

func TestQEMUArgs(t *testing.T) {
	for _, p := range qi.Profiles() {
		d := &Device{
			Spec: Spec{Name: "dev-1", Profile: p.Name, Params: map[string]string{"log": "debug"}}, Profile: p,
			Image:      &qi.Image{Kernel: "/c/kernel", Initramfs: "/c/initramfs.cpio"},
			ConsoleLog: "/a,b/console.log", FlashPath: "/w/d1.flash.img", dataSock: "/w/d1.data", qmpSock: "/w/d1.qmp",
		}
		args := strings.Join(d.qemuArgs(), " ")
		for _, want := range []string{
			"-nodefaults -no-user-config -display none", "-M " + p.Machine, "-m " + p.Memory, "-accel tcg,tb-size=16",
			"path=/a,,b/console.log", "socket,id=data,server=on,wait=off,path=/w/d1.data", fmt.Sprintf(p.DataDevice, "data"),
			"if=none,format=raw,id=flash,file=/w/d1.flash.img", fmt.Sprintf(p.DiskDevice, "flash"),
			"-qmp unix:/w/d1.qmp,server=on,wait=off", "console=" + p.Console, "wasmbed.dataline=" + p.DataLine,
			"wasmbed.name=dev-1", "wasmbed.profile=" + p.Name, "wasmbed.flash=" + p.DiskNode, "wasmbed.log=debug",
		} {
			if !strings.Contains(args, want) {
				t.Errorf("%s: %q missing from %s", p.Name, want, args)
			}
		}
		if p.CPU != "" && !strings.Contains(args, "-cpu "+p.CPU) {
			t.Errorf("%s: no -cpu %s", p.Name, p.CPU)
		}
		if strings.Contains(args, "tsc_early_khz") != (p.GOARCH == "amd64") {
			t.Errorf("%s: tsc_early_khz only belongs on x86 under TCG: %s", p.Name, args)
		}
	}
}

func TestNewRejects(t *testing.T) {
	if _, err := New(Options{}); err == nil {
		t.Fatal("no artifact dir accepted")
	}
	if _, err := New(Options{ArtifactDir: t.TempDir(), Accel: "hvf"}); err == nil {
		t.Fatal("bad accel accepted")
	}
	f, err := New(Options{ArtifactDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ctx := context.Background()
	if _, err := f.Start(ctx, Spec{Name: "x", Profile: "esp32"}); err == nil || !strings.Contains(err.Error(), "process devices") {
		t.Fatalf("ESP32: %v", err)
	}
	if _, err := f.Start(ctx, Spec{Name: "x", Profile: "arm64-virt"}); err == nil || !strings.Contains(err.Error(), "gateway") {
		t.Fatalf("no gateway: %v", err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(f.work); !os.IsNotExist(err) {
		t.Fatalf("work dir left behind: %v", err)
	}
}
