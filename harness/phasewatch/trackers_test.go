package phasewatch

import (
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/watch"

	"github.com/wasmbed/wasmbed/harness/timeline"
	wasmbedv1 "github.com/wasmbed/wasmbed/sut/api/v1alpha1"
)

func device(name string, phase wasmbedv1.DevicePhase, apps ...wasmbedv1.DeviceAppStatus) *wasmbedv1.Device {
	d := &wasmbedv1.Device{}
	d.Name, d.Status.Phase, d.Status.Gateway, d.Status.Apps = name, phase, "gw-0", apps
	return d
}

// The watch delivers every update of an object (a heartbeat, a status
// write) and, after a re-watch, every object again: only changes of phase
// or app state are recorded, each once.
func TestOnlyChangesAreRecorded(t *testing.T) {
	dir := t.TempDir()
	j, err := timeline.Create(dir, Source)
	if err != nil {
		t.Fatal(err)
	}
	devs, apps := newDeviceTracker(j), newAppTracker(j)
	devs.observe(watch.Added, device("d1", wasmbedv1.DevicePending))
	devs.observe(watch.Modified, device("d1", wasmbedv1.DeviceConnected))
	devs.observe(watch.Modified, device("d1", wasmbedv1.DeviceConnected)) // a heartbeat
	devs.observe(watch.Added, device("d1", wasmbedv1.DeviceConnected))    // a re-watch
	devs.observe(watch.Modified, device("d1", wasmbedv1.DeviceConnected, wasmbedv1.DeviceAppStatus{Name: "echo", State: wasmbedv1.AppInstalling}))
	devs.observe(watch.Modified, device("d1", wasmbedv1.DeviceConnected, wasmbedv1.DeviceAppStatus{Name: "echo", State: wasmbedv1.AppBackoff, Reason: "trap", LastError: "unreachable"}))
	devs.observe(watch.Modified, device("d1", wasmbedv1.DeviceDisconnected, wasmbedv1.DeviceAppStatus{Name: "echo", State: wasmbedv1.AppBackoff}))
	devs.observe(watch.Modified, device("d1", wasmbedv1.DeviceDisconnected))
	devs.observe(watch.Deleted, device("d1", wasmbedv1.DeviceDisconnected))
	app := &wasmbedv1.Application{}
	app.Name = "echo"
	apps.observe(watch.Added, app.DeepCopy())
	app.Status.Phase = wasmbedv1.AppPhaseFailed
	app.Status.Counts.Targeted, app.Status.Counts.Failed = 1, 1
	apps.observe(watch.Modified, app.DeepCopy())
	apps.observe(watch.Modified, app.DeepCopy())
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	es, err := timeline.Read(filepath.Join(dir, Source+timeline.Suffix))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range es {
		got = append(got, e.Level+" "+e.Text)
	}
	want := []string{
		"info Device d1 created",
		"info Device d1: (none) → Pending (gateway gw-0)",
		"info Device d1: Pending → Connected (gateway gw-0)",
		"info app echo on d1: (none) → Installing",
		"warn app echo on d1: Installing → Backoff (trap): unreachable",
		"warn Device d1: Connected → Disconnected (gateway gw-0)",
		"info app echo on d1: Backoff → removed",
		"info Device d1 deleted (was Disconnected)",
		"info Application echo created",
		"error Application echo: (none) → Failed (1 targeted, 0 running, 0 pending, 1 failed)",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("recorded:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
