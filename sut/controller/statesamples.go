package controller

import (
	"sort"

	"github.com/prometheus/client_golang/prometheus"
	coordinationv1 "k8s.io/api/coordination/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	wasmbedv1 "github.com/wasmbed/wasmbed/sut/api/v1alpha1"
)

// stateSample is one gauge value of the state metrics.
type stateSample struct {
	desc   *prometheus.Desc
	labels []string
	value  float64
}

// devicePhases are the phases counted per namespace and gateway, each
// exported (0 if no device is in it) so a rule can tell "none" from
// "not scraped".
var devicePhases = []wasmbedv1.DevicePhase{
	wasmbedv1.DevicePending, wasmbedv1.DeviceEnrolling, wasmbedv1.DeviceEnrolled,
	wasmbedv1.DeviceConnected, wasmbedv1.DeviceDisconnected, wasmbedv1.DeviceUnreachable,
}

// phaseUnset labels devices that have no phase yet (a gateway created the
// Device mid-enrolment and has not written one).
const phaseUnset = "Unset"

// stateSamples computes the state metrics from the objects (see
// statemetrics.go for what each means).
func stateSamples(devices []wasmbedv1.Device, gateways []wasmbedv1.Gateway, leases []coordinationv1.Lease, apps []wasmbedv1.Application) []stateSample {
	var out []stateSample
	type gwKey struct{ namespace, gateway string }
	counts := map[gwKey]map[string]int{}
	count := func(k gwKey) map[string]int {
		if counts[k] == nil {
			counts[k] = map[string]int{}
		}
		return counts[k]
	}
	grace := map[gwKey]float64{}
	exists := map[gwKey]bool{}
	for i := range gateways {
		gw := &gateways[i]
		k := gwKey{gw.Namespace, gw.Name}
		exists[k] = true
		count(k)
		grace[k] = unreachableGrace(gw).Seconds()
	}
	for i := range devices {
		d := &devices[i]
		k := gwKey{d.Namespace, d.Status.Gateway}
		phase := string(d.Status.Phase)
		if phase == "" {
			phase = phaseUnset
		}
		count(k)[phase]++
		if since, ok := offlineSince(d); ok {
			out = append(out, stateSample{descDeviceOffline, []string{d.Namespace, d.Status.Gateway, d.Name, string(d.Status.Phase)}, since})
			if _, known := grace[k]; !known && k.gateway != "" {
				// The device names a Gateway that no longer exists: its
				// devices still get the default grace, so they still alert.
				grace[k] = defaultUnreachableGrace.Seconds()
			}
		}
	}
	for _, k := range sortedKeys(counts, func(a, b gwKey) bool {
		return a.namespace < b.namespace || a.namespace == b.namespace && a.gateway < b.gateway
	}) {
		c := counts[k]
		for _, p := range devicePhases {
			out = append(out, stateSample{descDevices, []string{k.namespace, k.gateway, string(p)}, float64(c[string(p)])})
		}
		if n := c[phaseUnset]; n > 0 {
			out = append(out, stateSample{descDevices, []string{k.namespace, k.gateway, phaseUnset}, float64(n)})
		}
		if g, ok := grace[k]; ok {
			out = append(out, stateSample{descGatewayGrace, []string{k.namespace, k.gateway}, g})
		}
	}
	for i := range leases {
		l := &leases[i]
		gw := l.Labels[gatewayLabel]
		if l.Spec.RenewTime == nil || l.Spec.LeaseDurationSeconds == nil {
			continue // never renewed: the gateway has not started
		}
		if !exists[gwKey{l.Namespace, gw}] {
			continue // the Gateway was deleted: its Lease says nothing any more
		}
		out = append(out,
			stateSample{descLeaseRenew, []string{l.Namespace, gw}, unixSeconds(l.Spec.RenewTime.Time.UnixNano())},
			stateSample{descLeaseDuration, []string{l.Namespace, gw}, float64(*l.Spec.LeaseDurationSeconds)})
	}
	for i := range apps {
		a := &apps[i]
		c := a.Status.Counts
		out = append(out,
			stateSample{descAppTargets, []string{a.Namespace, a.Name, "running"}, float64(c.Running)},
			stateSample{descAppTargets, []string{a.Namespace, a.Name, "failed"}, float64(c.Failed)},
			stateSample{descAppTargets, []string{a.Namespace, a.Name, "pending"}, float64(c.Pending)})
	}
	return out
}

// offlineSince is when a Disconnected or Unreachable device's Connected
// condition left True. The gateway writes the phase and the device
// reconciler the condition a moment later: until the condition agrees,
// the device is not reported, rather than reported offline since it
// connected.
func offlineSince(d *wasmbedv1.Device) (float64, bool) {
	if d.Status.Phase != wasmbedv1.DeviceDisconnected && d.Status.Phase != wasmbedv1.DeviceUnreachable {
		return 0, false
	}
	c := meta.FindStatusCondition(d.Status.Conditions, wasmbedv1.ConditionConnected)
	if c == nil || c.Status == metav1.ConditionTrue {
		return 0, false
	}
	return unixSeconds(c.LastTransitionTime.UnixNano()), true
}

func unixSeconds(nanos int64) float64 { return float64(nanos) / 1e9 }

func sortedKeys[K comparable, V any](m map[K]V, less func(a, b K) bool) []K {
	keys := make([]K, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return less(keys[i], keys[j]) })
	return keys
}
