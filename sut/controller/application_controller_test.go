package controller

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	fixtures "github.com/wasmbed/wasmbed/fixtures/apps"
	wasmbedv1 "github.com/wasmbed/wasmbed/sut/api/v1alpha1"
)

// simdModule needs the simd feature:
//
//	(module (func (export "init") v128.const i64x2 0 0 drop))
var simdModule = bytes.Join([][]byte{
	{0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00},
	{0x01, 0x04, 0x01, 0x60, 0x00, 0x00},                         // type () -> ()
	{0x03, 0x02, 0x01, 0x00},                                     // one function
	{0x07, 0x08, 0x01, 0x04, 'i', 'n', 'i', 't', 0x00, 0x00},     // export "init"
	{0x0a, 0x17, 0x01, 0x15, 0x00, 0xfd, 0x0c}, make([]byte, 16), // v128.const 0
	{0x1a, 0x0b}, // drop; end
}, nil)

// device is a Device with labels and capabilities.
func device(name string, labels map[string]string, memory string, features ...wasmbedv1.WasmFeature) wasmbedv1.Device {
	d := wasmbedv1.Device{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels}}
	if memory != "" {
		q := resource.MustParse(memory)
		d.Spec.Capabilities.Memory = &q
	}
	d.Spec.Capabilities.WasmFeatures = features
	return d
}

func TestSelectTargets(t *testing.T) {
	fleet := map[string]string{"role": "fleet"}
	devices := []wasmbedv1.Device{
		device("b-fleet", fleet, ""),
		device("a-fleet", fleet, ""),
		device("small", fleet, "512Ki"),
		device("mvp", fleet, "", "mutable-global"),
		device("simd", fleet, "", "mutable-global", "simd"),
		device("named", nil, ""),
		device("other", map[string]string{"role": "lab"}, ""),
	}
	hello, truncated := fixtures.Hello.Wasm(), fixtures.Truncated.Wasm()
	for name, tc := range map[string]struct {
		spec     wasmbedv1.ApplicationSpec
		module   []byte
		targets  []string
		excluded []string // fragments, one per excluded device, in order
	}{
		"by label, sorted, with memory too small for the default 16 pages": {
			spec: wasmbedv1.ApplicationSpec{Selector: &metav1.LabelSelector{MatchLabels: fleet}}, module: hello,
			targets:  []string{"a-fleet", "b-fleet", "mvp", "simd"},
			excluded: []string{"small has 512Ki of memory, the app may use 1Mi"},
		},
		"a smaller page limit fits the small device": {
			spec: wasmbedv1.ApplicationSpec{Selector: &metav1.LabelSelector{MatchLabels: fleet}, Limits: wasmbedv1.AppLimits{MaxMemoryPages: 4}}, module: hello,
			targets: []string{"a-fleet", "b-fleet", "mvp", "simd", "small"},
		},
		"by name, a missing one excluded": {
			spec: wasmbedv1.ApplicationSpec{Devices: []string{"named", "ghost"}}, module: hello,
			targets:  []string{"named"},
			excluded: []string{"Device ghost does not exist"},
		},
		"names and a selector add up, each device once": {
			spec: wasmbedv1.ApplicationSpec{Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"role": "lab"}}, Devices: []string{"other", "named"}}, module: hello,
			targets: []string{"named", "other"},
		},
		"a module needing simd skips the device without it; unlisted features are not judged": {
			spec: wasmbedv1.ApplicationSpec{Devices: []string{"mvp", "simd", "named"}}, module: simdModule,
			targets:  []string{"named", "simd"},
			excluded: []string{"mvp lacks wasm features the module needs: the module does not validate against the device's wasm features (mutable-global)"},
		},
		"a module invalid everywhere is assigned, for the gateways to refuse per device": {
			spec: wasmbedv1.ApplicationSpec{Devices: []string{"mvp", "simd"}}, module: truncated,
			targets: []string{"mvp", "simd"},
		},
		"nothing matches": {
			spec: wasmbedv1.ApplicationSpec{Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"role": "none"}}}, module: hello,
		},
	} {
		var r ApplicationReconciler
		app := &wasmbedv1.Application{ObjectMeta: metav1.ObjectMeta{Name: "app"}, Spec: tc.spec}
		targets, excluded := r.selectTargets(context.Background(), app, devices, tc.module, fixtureDigest(tc.module))
		if strings.Join(targets, ",") != strings.Join(tc.targets, ",") {
			t.Errorf("%s: targets %v, want %v", name, targets, tc.targets)
		}
		if len(excluded) != len(tc.excluded) {
			t.Errorf("%s: excluded %q, want %d entries like %q", name, excluded, len(tc.excluded), tc.excluded)
			continue
		}
		for i, want := range tc.excluded {
			if !strings.Contains(excluded[i], want) {
				t.Errorf("%s: excluded[%d] = %q, want it to say %q", name, i, excluded[i], want)
			}
			if strings.Contains(excluded[i], "InvalidModule:") {
				t.Errorf("%s: %q repeats the error's reason prefix instead of its message", name, excluded[i])
			}
		}
	}
}

func TestObserved(t *testing.T) {
	const digest = "0123456789abcdef0123"
	connected := func(apps ...wasmbedv1.DeviceAppStatus) *wasmbedv1.Device {
		d := &wasmbedv1.Device{ObjectMeta: metav1.ObjectMeta{Name: "d"}}
		d.Status.Phase, d.Status.Apps = wasmbedv1.DeviceConnected, apps
		return d
	}
	inPhase := func(p wasmbedv1.DevicePhase) *wasmbedv1.Device {
		d := connected()
		d.Status.Phase = p
		return d
	}
	for name, tc := range map[string]struct {
		device *wasmbedv1.Device
		want   wasmbedv1.ApplicationDeviceStatus
	}{
		"running the assigned digest": {
			connected(wasmbedv1.DeviceAppStatus{Name: "app", Digest: digest, State: wasmbedv1.AppRunning, Restarts: 2, Reason: "Trap", LastError: "tick: unreachable"}),
			wasmbedv1.ApplicationDeviceStatus{Name: "d", State: wasmbedv1.AppRunning, Digest: digest, Restarts: 2, Reason: "Trap", Message: "tick: unreachable"},
		},
		"failed on the assigned digest": {
			connected(wasmbedv1.DeviceAppStatus{Name: "app", Digest: digest, State: wasmbedv1.AppFailed, Reason: "InvalidModule", LastError: "bad"}),
			wasmbedv1.ApplicationDeviceStatus{Name: "d", State: wasmbedv1.AppFailed, Digest: digest, Reason: "InvalidModule", Message: "bad"},
		},
		"an older version still runs": {
			connected(wasmbedv1.DeviceAppStatus{Name: "app", Digest: "fedcba9876543210fedc", State: wasmbedv1.AppRunning, Reason: "Trap", LastError: "old"}),
			wasmbedv1.ApplicationDeviceStatus{Name: "d", State: wasmbedv1.AppInstalling, Digest: "fedcba9876543210fedc",
				Message: "running fedcba987654, rolling out 0123456789ab"},
		},
		"other apps only": {
			connected(wasmbedv1.DeviceAppStatus{Name: "other", Digest: digest, State: wasmbedv1.AppFailed, Reason: "Trap"}),
			wasmbedv1.ApplicationDeviceStatus{Name: "d", State: wasmbedv1.AppPending},
		},
		"device offline": {
			inPhase(wasmbedv1.DeviceDisconnected),
			wasmbedv1.ApplicationDeviceStatus{Name: "d", State: wasmbedv1.AppPending, Message: "device is Disconnected; the app is sent when it connects"},
		},
		"device never enrolled": {
			inPhase(""),
			wasmbedv1.ApplicationDeviceStatus{Name: "d", State: wasmbedv1.AppPending, Message: "device is not enrolled; the app is sent when it connects"},
		},
	} {
		if got := observed("app", digest, tc.device); got != tc.want {
			t.Errorf("%s:\n got %+v\nwant %+v", name, got, tc.want)
		}
	}
}

func TestSummarize(t *testing.T) {
	states := func(ss ...wasmbedv1.AppState) []wasmbedv1.ApplicationDeviceStatus {
		out := make([]wasmbedv1.ApplicationDeviceStatus, len(ss))
		for i, s := range ss {
			out[i] = wasmbedv1.ApplicationDeviceStatus{Name: string(rune('a' + i)), State: s}
		}
		return out
	}
	for name, tc := range map[string]struct {
		devices     []wasmbedv1.ApplicationDeviceStatus
		counts      wasmbedv1.ApplicationCounts
		phase       wasmbedv1.ApplicationPhase
		ready       metav1.ConditionStatus
		readyReason string
	}{
		"no targets":   {nil, wasmbedv1.ApplicationCounts{}, wasmbedv1.AppPhasePending, metav1.ConditionFalse, "Pending"},
		"all running":  {states(wasmbedv1.AppRunning, wasmbedv1.AppRunning), wasmbedv1.ApplicationCounts{Targeted: 2, Running: 2}, wasmbedv1.AppPhaseRunning, metav1.ConditionTrue, "AllRunning"},
		"one pending":  {states(wasmbedv1.AppRunning, wasmbedv1.AppPending), wasmbedv1.ApplicationCounts{Targeted: 2, Running: 1, Pending: 1}, wasmbedv1.AppPhaseDeploying, metav1.ConditionFalse, "Deploying"},
		"in backoff":   {states(wasmbedv1.AppRunning, wasmbedv1.AppBackoff), wasmbedv1.ApplicationCounts{Targeted: 2, Running: 1, Pending: 1}, wasmbedv1.AppPhaseDeploying, metav1.ConditionFalse, "Deploying"},
		"some failed":  {states(wasmbedv1.AppRunning, wasmbedv1.AppFailed), wasmbedv1.ApplicationCounts{Targeted: 2, Running: 1, Failed: 1}, wasmbedv1.AppPhasePartiallyRunning, metav1.ConditionFalse, "PartiallyRunning"},
		"all failed":   {states(wasmbedv1.AppFailed, wasmbedv1.AppFailed), wasmbedv1.ApplicationCounts{Targeted: 2, Failed: 2}, wasmbedv1.AppPhaseFailed, metav1.ConditionFalse, "Failed"},
		"one of three": {states(wasmbedv1.AppFailed, wasmbedv1.AppRunning, wasmbedv1.AppFailed), wasmbedv1.ApplicationCounts{Targeted: 3, Running: 1, Failed: 2}, wasmbedv1.AppPhasePartiallyRunning, metav1.ConditionFalse, "PartiallyRunning"},
	} {
		app := &wasmbedv1.Application{}
		app.Generation = 3
		app.Status.Devices = tc.devices
		summarize(app)
		if app.Status.Counts != tc.counts || app.Status.Phase != tc.phase {
			t.Errorf("%s: counts %+v phase %s, want %+v %s", name, app.Status.Counts, app.Status.Phase, tc.counts, tc.phase)
		}
		ready := meta.FindStatusCondition(app.Status.Conditions, wasmbedv1.ConditionReady)
		if ready == nil || ready.Status != tc.ready || ready.Reason != tc.readyReason || ready.ObservedGeneration != 3 {
			t.Errorf("%s: Ready %+v, want %s with reason %s", name, ready, tc.ready, tc.readyReason)
		}
	}
}

func fixtureDigest(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
