package guest

import (
	"log/slog"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestSplitCmdline(t *testing.T) {
	got := SplitCmdline(` console=ttyAMA0  quiet wasmbed.name="my dev" a="b c"d` + "\n")
	want := []string{"console=ttyAMA0", "quiet", "wasmbed.name=my dev", "a=b cd"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %q, want %q", got, want)
	}
}

func TestParseCmdline(t *testing.T) {
	c, err := ParseCmdline(`console=ttyS0 quiet wasmbed.name=dev-7 wasmbed.profile=riscv64-virt ` +
		`wasmbed.dataline=/dev/ttyS1 wasmbed.baud=921600 wasmbed.log=debug wasmbed.keepalive=500ms ` +
		`wasmbed.linktimeout=3s wasmbed.time=1700000000 wasmbed.flash=/dev/vdb wasmbed.test=control ` +
		`virtio_mmio.device=512@0xfeb00e00:12 virtio-mmio.device=512@0xfeb00c00:13 ext4.opt "mod.s=a b"`)
	if err != nil {
		t.Fatal(err)
	}
	if c.Name != "dev-7" || c.Profile != "riscv64-virt" || c.DataLine != "/dev/ttyS1" || c.Baud != 921600 ||
		c.LogLevel != slog.LevelDebug || c.KeepAlive != 500*time.Millisecond || c.LinkTimeout != 3*time.Second ||
		c.NotBefore.Unix() != 1700000000 || c.Flash != "/dev/vdb" || c.FlashFS != "ext4" {
		t.Fatalf("config %+v", c)
	}
	if c.Params["test"] != "control" || c.Params["name"] != "dev-7" {
		t.Fatalf("params %v", c.Params)
	}
	want := map[string]string{
		"virtio_mmio": "device=512@0xfeb00e00:12 device=512@0xfeb00c00:13",
		"ext4":        "opt",
		"mod":         `s="a b"`,
	}
	if !reflect.DeepEqual(c.ModuleParams, want) {
		t.Fatalf("module params %q, want %q", c.ModuleParams, want)
	}
}

func TestParseCmdlineDefaults(t *testing.T) {
	c, err := ParseCmdline("console=ttyAMA0")
	if err != nil {
		t.Fatal(err)
	}
	d := DefaultConfig()
	if c.Name != d.Name || c.DataLine != "/dev/ttyS0" || c.Flash != "/dev/vda" || c.Baud != 115200 || len(c.Params) != 0 {
		t.Fatalf("config %+v", c)
	}
}

func TestParseCmdlineErrors(t *testing.T) {
	_, err := ParseCmdline("wasmbed.baud=fast wasmbed.log=loud wasmbed.keepalive=2")
	if err == nil {
		t.Fatal("want an error")
	}
	for _, s := range []string{"wasmbed.baud", "wasmbed.log", "wasmbed.keepalive"} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error %q does not name %s", err, s)
		}
	}
}

func TestCmdlineRoundTrip(t *testing.T) {
	params := map[string]string{"name": "dev 1", "profile": "arm64-virt", "dataline": "/dev/ttyS0"}
	line := Cmdline(params)
	if line != `wasmbed.dataline=/dev/ttyS0 wasmbed.name="dev 1" wasmbed.profile=arm64-virt` {
		t.Fatalf("cmdline %q", line)
	}
	c, err := ParseCmdline("console=ttyS0 " + line)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(c.Params, params) {
		t.Fatalf("round trip %v, want %v", c.Params, params)
	}
}

func TestModuleName(t *testing.T) {
	for in, want := range map[string]string{
		"kernel/drivers/virtio/virtio_mmio.ko":      "virtio_mmio",
		"kernel/crypto/crc32c-generic.ko.xz":        "crc32c_generic",
		"/lib/modules/x/kernel/fs/ext4/ext4.ko.zst": "ext4",
	} {
		if got := ModuleName(in); got != want {
			t.Errorf("ModuleName(%q) = %q, want %q", in, got, want)
		}
	}
}
