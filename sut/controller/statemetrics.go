package controller

import (
	"context"
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	coordinationv1 "k8s.io/api/coordination/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	wasmbedv1 "github.com/wasmbed/wasmbed/sut/api/v1alpha1"
)

// The state metrics: what the SUT's alert rules (sut/config/prometheus)
// need to know about the objects, published by the controller because a
// Wasmbed install has no kube-state-metrics. They are computed at scrape
// time from the manager's informer cache, so they are never out of step
// with the objects and never keep a series for a deleted one.
//
// Label cardinality is bounded by what an operator creates, never by
// traffic: per namespace and gateway, the six device phases; per
// Application, three states; per Gateway, its Lease and grace period. The
// one per-device series exists only for a device that is offline
// (Disconnected or Unreachable), because the alert must name the device;
// a healthy fleet exports none of them.
//
// Only the leader exports them: replicas share one cache content, and one
// exporter keeps the rules free of de-duplication. A replica that is not
// the leader serves controller-runtime's metrics only
// (leader_election_master_status says which replica leads).
var (
	descDevices = prometheus.NewDesc("wasmbed_controller_devices",
		"Devices by namespace, gateway (status.gateway, empty before enrolment) and phase (Unset before the first).",
		[]string{"namespace", "gateway", "phase"}, nil)
	descDeviceOffline = prometheus.NewDesc("wasmbed_controller_device_offline_since_timestamp_seconds",
		"For each Disconnected or Unreachable device: when its Connected condition stopped being True (Unix seconds).",
		[]string{"namespace", "gateway", "device", "phase"}, nil)
	descGatewayGrace = prometheus.NewDesc("wasmbed_controller_gateway_unreachable_grace_seconds",
		"The Gateway's unreachableGracePeriod: how long the platform waits before it gives up on a silent gateway's or device's connection.",
		[]string{"namespace", "gateway"}, nil)
	descLeaseRenew = prometheus.NewDesc("wasmbed_controller_gateway_lease_renew_timestamp_seconds",
		"When the gateway last renewed its Lease (spec.renewTime, Unix seconds).",
		[]string{"namespace", "gateway"}, nil)
	descLeaseDuration = prometheus.NewDesc("wasmbed_controller_gateway_lease_duration_seconds",
		"The validity of the gateway's Lease (spec.leaseDurationSeconds).",
		[]string{"namespace", "gateway"}, nil)
	descAppTargets = prometheus.NewDesc("wasmbed_controller_application_targets",
		"An Application's target devices by state (running, failed, pending), from status.counts.",
		[]string{"namespace", "application", "state"}, nil)
)

// stateCollector is a prometheus.Collector over the manager's cache.
type stateCollector struct {
	reader  client.Reader
	elected <-chan struct{}
}

// Describe implements prometheus.Collector.
func (c *stateCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descDevices, descDeviceOffline, descGatewayGrace, descLeaseRenew, descLeaseDuration, descAppTargets} {
		ch <- d
	}
}

// Collect implements prometheus.Collector. A failed list makes the scrape
// fail (the controller serves with HTTPErrorOnError), so a blind
// controller shows as a target down rather than as a quiet fleet.
func (c *stateCollector) Collect(ch chan<- prometheus.Metric) {
	select {
	case <-c.elected:
	default:
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var (
		devices  wasmbedv1.DeviceList
		gateways wasmbedv1.GatewayList
		leases   coordinationv1.LeaseList
		apps     wasmbedv1.ApplicationList
	)
	// Read-only use: the cache's objects need no copy.
	noCopy := client.UnsafeDisableDeepCopy
	lists := []struct {
		what string
		list client.ObjectList
		opts []client.ListOption
	}{
		{"devices", &devices, []client.ListOption{noCopy}},
		{"gateways", &gateways, []client.ListOption{noCopy}},
		{"leases", &leases, []client.ListOption{noCopy, client.HasLabels{gatewayLabel}}},
		{"applications", &apps, []client.ListOption{noCopy}},
	}
	for _, l := range lists {
		if err := c.reader.List(ctx, l.list, l.opts...); err != nil {
			ch <- prometheus.NewInvalidMetric(descDevices, fmt.Errorf("list %s: %w", l.what, err))
			return
		}
	}
	for _, s := range stateSamples(devices.Items, gateways.Items, leases.Items, apps.Items) {
		ch <- prometheus.MustNewConstMetric(s.desc, prometheus.GaugeValue, s.value, s.labels...)
	}
}

// gatewayLabel marks a gateway's Lease with the gateway's name.
const gatewayLabel = "wasmbed.io/gateway"
