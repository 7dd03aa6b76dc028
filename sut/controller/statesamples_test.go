package controller

import (
	"strings"
	"testing"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	wasmbedv1 "github.com/wasmbed/wasmbed/sut/api/v1alpha1"
)

// fqName extracts the metric name from a Desc's String().
func fqName(s stateSample) string {
	str := s.desc.String()
	_, rest, _ := strings.Cut(str, `fqName: "`)
	name, _, _ := strings.Cut(rest, `"`)
	return name
}

// sampleMap keys samples by name and label values.
func sampleMap(samples []stateSample) map[string]float64 {
	m := map[string]float64{}
	for _, s := range samples {
		m[fqName(s)+"{"+strings.Join(s.labels, ",")+"}"] = s.value
	}
	return m
}

func deviceIn(name, gateway string, phase wasmbedv1.DevicePhase, connected metav1.ConditionStatus, since time.Time) wasmbedv1.Device {
	d := wasmbedv1.Device{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: name}}
	d.Status.Phase, d.Status.Gateway = phase, gateway
	if connected != "" {
		d.Status.Conditions = []metav1.Condition{{Type: wasmbedv1.ConditionConnected, Status: connected, LastTransitionTime: metav1.NewTime(since)}}
	}
	return d
}

func TestStateSamples(t *testing.T) {
	t0 := time.Unix(1_700_000_000, 500_000_000)
	grace := &metav1.Duration{Duration: 3 * time.Second}
	gateways := []wasmbedv1.Gateway{
		{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "gw"}, Spec: wasmbedv1.GatewaySpec{UnreachableGracePeriod: grace}},
		{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "idle"}}, // no devices, default grace
	}
	devices := []wasmbedv1.Device{
		deviceIn("up", "gw", wasmbedv1.DeviceConnected, metav1.ConditionTrue, t0),
		deviceIn("down", "gw", wasmbedv1.DeviceDisconnected, metav1.ConditionFalse, t0),
		deviceIn("lost", "gw", wasmbedv1.DeviceUnreachable, metav1.ConditionUnknown, t0.Add(time.Second)),
		// The gateway wrote Disconnected, the condition still says True:
		// counted, but not reported offline since it connected.
		deviceIn("racing", "gw", wasmbedv1.DeviceDisconnected, metav1.ConditionTrue, t0.Add(-time.Hour)),
		// Offline under a Gateway that was deleted: the default grace.
		deviceIn("orphan", "gone", wasmbedv1.DeviceDisconnected, metav1.ConditionFalse, t0),
		deviceIn("new", "", "", "", t0),
		deviceIn("pre", "", wasmbedv1.DevicePending, "", t0),
	}
	leases := []coordinationv1.Lease{
		{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: wasmbedv1.LeaseName("gw"), Labels: map[string]string{gatewayLabel: "gw"}},
			Spec: coordinationv1.LeaseSpec{RenewTime: &metav1.MicroTime{Time: t0}, LeaseDurationSeconds: ptr.To[int32](3)}},
		// The Lease of a deleted Gateway: nothing to say any more.
		{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: wasmbedv1.LeaseName("gone"), Labels: map[string]string{gatewayLabel: "gone"}},
			Spec: coordinationv1.LeaseSpec{RenewTime: &metav1.MicroTime{Time: t0}, LeaseDurationSeconds: ptr.To[int32](3)}},
		// Created but never renewed: nothing to say yet.
		{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: wasmbedv1.LeaseName("idle"), Labels: map[string]string{gatewayLabel: "idle"}}},
	}
	apps := []wasmbedv1.Application{{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "blink"},
		Status: wasmbedv1.ApplicationStatus{Counts: wasmbedv1.ApplicationCounts{Targeted: 5, Running: 3, Failed: 1, Pending: 1}}}}

	got := sampleMap(stateSamples(devices, gateways, leases, apps))
	want := map[string]float64{
		"wasmbed_controller_devices{ns,gw,Connected}":      1,
		"wasmbed_controller_devices{ns,gw,Disconnected}":   2,
		"wasmbed_controller_devices{ns,gw,Unreachable}":    1,
		"wasmbed_controller_devices{ns,gw,Pending}":        0,
		"wasmbed_controller_devices{ns,idle,Connected}":    0,
		"wasmbed_controller_devices{ns,gone,Disconnected}": 1,
		"wasmbed_controller_devices{ns,,Pending}":          1,
		"wasmbed_controller_devices{ns,,Unset}":            1,

		"wasmbed_controller_device_offline_since_timestamp_seconds{ns,gw,down,Disconnected}":     1_700_000_000.5,
		"wasmbed_controller_device_offline_since_timestamp_seconds{ns,gw,lost,Unreachable}":      1_700_000_001.5,
		"wasmbed_controller_device_offline_since_timestamp_seconds{ns,gone,orphan,Disconnected}": 1_700_000_000.5,

		"wasmbed_controller_gateway_unreachable_grace_seconds{ns,gw}":   3,
		"wasmbed_controller_gateway_unreachable_grace_seconds{ns,idle}": 40,
		"wasmbed_controller_gateway_unreachable_grace_seconds{ns,gone}": 40,

		"wasmbed_controller_gateway_lease_renew_timestamp_seconds{ns,gw}": 1_700_000_000.5,
		"wasmbed_controller_gateway_lease_duration_seconds{ns,gw}":        3,

		"wasmbed_controller_application_targets{ns,blink,running}": 3,
		"wasmbed_controller_application_targets{ns,blink,failed}":  1,
		"wasmbed_controller_application_targets{ns,blink,pending}": 1,
	}
	for k, v := range want {
		g, ok := got[k]
		if !ok {
			t.Errorf("missing %s", k)
		} else if g != v {
			t.Errorf("%s = %v, want %v", k, g, v)
		}
	}
	for _, absent := range []string{
		"wasmbed_controller_device_offline_since_timestamp_seconds{ns,gw,racing,Disconnected}",
		"wasmbed_controller_device_offline_since_timestamp_seconds{ns,gw,up,Connected}",
		"wasmbed_controller_gateway_lease_renew_timestamp_seconds{ns,idle}",
		"wasmbed_controller_gateway_lease_renew_timestamp_seconds{ns,gone}",
		"wasmbed_controller_gateway_lease_duration_seconds{ns,gone}",
		"wasmbed_controller_devices{ns,gw,Unset}",
	} {
		if _, ok := got[absent]; ok {
			t.Errorf("%s is exported; it must not be", absent)
		}
	}
	// Every (namespace, gateway) gets all six phases, and nothing else is
	// exported beyond what is listed.
	phases := 0
	for k := range got {
		if strings.HasPrefix(k, "wasmbed_controller_devices{") {
			phases++
		}
	}
	if want := 4*len(devicePhases) + 1; phases != want { // gw, idle, gone, "" + Unset
		t.Errorf("%d device-count series, want %d: %v", phases, want, got)
	}
}

// TestStateSamplesEmpty: no objects, no series; a cluster without Wasmbed
// objects costs nothing.
func TestStateSamplesEmpty(t *testing.T) {
	if got := stateSamples(nil, nil, nil, nil); len(got) != 0 {
		t.Fatalf("samples without objects: %v", got)
	}
}
