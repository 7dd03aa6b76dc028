package vehiclebridge

import "github.com/prometheus/client_golang/prometheus"

// metrics are the MAVLink bridge's series, registered with the gateway's
// other metrics. Their names are part of the gateway's public interface.
type metrics struct {
	commands       *prometheus.CounterVec // command, result
	links          prometheus.Gauge
	linksUp        prometheus.Gauge
	linkLosses     prometheus.Counter
	telemetry      *prometheus.CounterVec // topic
	telemetryDrops *prometheus.CounterVec // reason
	failsafes      *prometheus.CounterVec // action, result
	commandLatency prometheus.Histogram
	forgedTopics   prometheus.Counter
	// lostArmed counts the links that are down and whose vehicle was armed
	// when its heartbeats stopped (the vehicle-link alert reads it).
	lostArmed prometheus.Gauge
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		commands: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "wasmbed_gateway_vehicle_commands_total", Help: "Vehicle commands from apps, by command and result.",
		}, []string{"command", "result"}),
		links: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "wasmbed_gateway_vehicle_links", Help: "MAVLink links open to vehicles of devices this gateway serves.",
		}),
		linksUp: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "wasmbed_gateway_vehicle_links_up", Help: "Vehicle links whose heartbeats arrive.",
		}),
		linkLosses: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "wasmbed_gateway_vehicle_link_losses_total", Help: "Times a vehicle stopped sending heartbeats for the link timeout.",
		}),
		telemetry: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "wasmbed_gateway_vehicle_telemetry_total", Help: "Telemetry messages delivered to devices, by topic.",
		}, []string{"topic"}),
		telemetryDrops: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "wasmbed_gateway_vehicle_telemetry_dropped_total", Help: "Telemetry messages not delivered, by reason (queue_full, no_session, send_failed).",
		}, []string{"reason"}),
		failsafes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "wasmbed_gateway_vehicle_failsafes_total", Help: "Failsafes commanded because the device flying a vehicle disconnected, by action and result.",
		}, []string{"action", "result"}),
		commandLatency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "wasmbed_gateway_vehicle_command_seconds", Help: "Time from sending a vehicle command to the autopilot's verdict.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 14),
		}),
		forgedTopics: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "wasmbed_gateway_vehicle_topic_publishes_dropped_total", Help: "App publications to the reserved vehicle/ topics, dropped.",
		}),
	}
	m.lostArmed = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "wasmbed_gateway_vehicle_links_lost_armed", Help: "Vehicle links down whose vehicle was armed when its heartbeats stopped.",
	})
	reg.MustRegister(m.lostArmed)
	reg.MustRegister(m.commands, m.links, m.linksUp, m.linkLosses, m.telemetry, m.telemetryDrops, m.failsafes, m.commandLatency, m.forgedTopics)
	return m
}
