package gateway

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/wasmbed/wasmbed/sut/refusal"
)

// metrics are the gateway's Prometheus series. Names are part of the
// gateway's public interface: scenarios and dashboards read them.
type metrics struct {
	registry *prometheus.Registry

	connected         prometheus.Gauge
	enrollments       *prometheus.CounterVec // result: accepted or a reason code
	handshakeFailures *prometheus.CounterVec // reason
	frameErrors       *prometheus.CounterVec // reason
	refusals          *prometheus.CounterVec // stage, reason: every refusal, the audit counter
	heartbeats        prometheus.Counter
	heartbeatAck      prometheus.Histogram
	statusWrites      *prometheus.CounterVec // kind: urgent, heartbeat, disconnect
	moduleBytesSent   prometheus.Counter
	deploys           *prometheus.CounterVec // result
	appMessages       *prometheus.CounterVec // topic
	openConns         prometheus.Gauge
}

func newMetrics() *metrics {
	m := &metrics{
		registry: prometheus.NewRegistry(),
		connected: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "wasmbed_gateway_connected_devices", Help: "Devices with a live session.",
		}),
		enrollments: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "wasmbed_gateway_enrollments_total", Help: "Enrolment requests by result (accepted, or the refusal reason code).",
		}, []string{"result"}),
		handshakeFailures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "wasmbed_gateway_handshake_failures_total", Help: "TLS handshakes that failed, by reason.",
		}, []string{"reason"}),
		frameErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "wasmbed_gateway_frame_errors_total", Help: "Frames refused, by reason.",
		}, []string{"reason"}),
		refusals: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "wasmbed_gateway_refusals_total", Help: "Every refusal, by stage (connection, handshake, frame, session, enrollment, deploy, vehicle) and reason code.",
		}, []string{"stage", "reason"}),
		heartbeats: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "wasmbed_gateway_heartbeats_total", Help: "Heartbeats received.",
		}),
		heartbeatAck: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "wasmbed_gateway_heartbeat_handling_seconds", Help: "Time from reading a heartbeat to writing its ack.",
			Buckets: prometheus.ExponentialBuckets(0.00005, 2, 16),
		}),
		statusWrites: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "wasmbed_gateway_status_writes_total", Help: "Device status patches sent to the API server, by kind.",
		}, []string{"kind"}),
		moduleBytesSent: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "wasmbed_gateway_module_bytes_sent_total", Help: "Module bytes sent to devices.",
		}),
		deploys: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "wasmbed_gateway_deploys_total", Help: "Deploys by result (sent, ok, or the failure reason).",
		}, []string{"result"}),
		appMessages: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "wasmbed_gateway_app_messages_total", Help: "Messages apps published, by topic.",
		}, []string{"topic"}),
		openConns: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "wasmbed_gateway_open_connections", Help: "Accepted TCP connections, including those still handshaking.",
		}),
	}
	m.registry.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.connected, m.enrollments, m.handshakeFailures, m.frameErrors, m.refusals,
		m.heartbeats, m.heartbeatAck, m.statusWrites, m.moduleBytesSent, m.deploys, m.appMessages, m.openConns,
	)
	return m
}

// refuse counts one refusal in the audit counter.
func (m *metrics) refuse(stage refusal.Stage, reason refusal.Reason) {
	m.refusals.WithLabelValues(string(stage), string(reason)).Inc()
}
